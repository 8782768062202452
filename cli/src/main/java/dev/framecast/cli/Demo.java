package dev.framecast.cli;

import dev.framecast.api.v1.ClipInfo;
import dev.framecast.api.v1.Completed;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.scheduler.Renderers;
import dev.framecast.scheduler.SchedulerServer;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.job.EventLog;
import dev.framecast.scheduler.media.ContactSheet;
import dev.framecast.scheduler.media.RgbFrames;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import dev.framecast.scheduler.service.SchedulerCore;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/**
 * {@code ./framecast demo "a red circle moving right"}: starts the embedded platform (an inference
 * node serving triton-models/ with ONNX Runtime, and the scheduler) in this process, generates one
 * clip as the demo tenant, shows its progress, writes the MP4 and a contact sheet, and stops.
 */
public final class Demo {
  static final String USAGE =
      """
      Usage: framecast demo "PROMPT" [options]

      Generates one clip on the embedded platform (inference node + scheduler in this process,
      serving triton-models/ with ONNX Runtime on the CPU) and writes it with a contact sheet.

        --out FILE            the clip (default clip.mp4); the contact sheet is FILE with .png
        --steps N             denoising steps (default: the model's, 24)
        --seed S              seed of the initial noise (default: random, printed)
        --guidance G          classifier-free guidance scale (default: the model's, 4.0)
        --negative TEXT       negative prompt (default empty)
        --preview-every K     decode a preview every K steps (default 0: none)
        --model-repository D  the Triton model repository (default triton-models)
        --verbose             show the platform's logs
        -h, --help            this help
      """;

  private Demo() {}

  record Options(
      String prompt,
      Path out,
      int steps,
      Long seed,
      Float guidance,
      String negative,
      int previewEvery,
      Path modelRepository,
      boolean verbose) {

    Path sheet() {
      String name = out.getFileName().toString();
      int dot = name.lastIndexOf('.');
      return out.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".png");
    }
  }

  /** What a finished demo produced. */
  record Result(String jobId, Completed completed, Path clip, Path sheet) {}

  /** Returns null for --help; throws IllegalArgumentException with a clear message. */
  static Options parse(String[] args) {
    String prompt = null;
    Path out = Path.of("clip.mp4");
    int steps = 0;
    Long seed = null;
    Float guidance = null;
    String negative = "";
    int previewEvery = 0;
    Path repository = Path.of("triton-models");
    boolean verbose = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "-h", "--help" -> {
          return null;
        }
        case "--verbose" -> verbose = true;
        case "--out",
            "--steps",
            "--seed",
            "--guidance",
            "--negative",
            "--preview-every",
            "--model-repository" -> {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException(arg + " needs a value");
          }
          String value = args[++i];
          switch (arg) {
            case "--out" -> out = Path.of(value);
            case "--steps" -> steps = positive(arg, value);
            case "--seed" -> seed = nonNegativeLong(arg, value);
            case "--guidance" -> guidance = number(arg, value);
            case "--negative" -> negative = value;
            case "--preview-every" -> previewEvery = positive(arg, value);
            default -> repository = Path.of(value);
          }
        }
        default -> {
          if (arg.startsWith("--")) {
            throw new IllegalArgumentException("unknown option '" + arg + "'");
          }
          if (prompt != null) {
            throw new IllegalArgumentException(
                "one prompt only (quote it): got '" + prompt + "' and '" + arg + "'");
          }
          prompt = arg;
        }
      }
    }
    if (prompt == null || prompt.isBlank()) {
      throw new IllegalArgumentException(
          "a prompt is required, e.g. \"a red circle moving right\"");
    }
    return new Options(
        prompt, out, steps, seed, guidance, negative, previewEvery, repository, verbose);
  }

  private static int positive(String option, String value) {
    try {
      int n = Integer.parseInt(value);
      if (n < 1) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          option + " expects a positive integer, got '" + value + "'");
    }
  }

  private static long nonNegativeLong(String option, String value) {
    try {
      long n = Long.parseLong(value);
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          option + " expects a non-negative integer, got '" + value + "'");
    }
  }

  private static float number(String option, String value) {
    try {
      float f = Float.parseFloat(value);
      if (!Float.isFinite(f)) {
        throw new NumberFormatException();
      }
      return f;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " expects a number, got '" + value + "'");
    }
  }

  /** Runs the platform, generates, writes the files; throws DemoFailure when the job fails. */
  static Result run(Options options, PrintStream console) throws Exception {
    if (!Files.isDirectory(options.modelRepository())) {
      throw new IllegalArgumentException(
          "model repository not found: "
              + options.modelRepository().toAbsolutePath()
              + " (run from the repository root or pass --model-repository)");
    }
    Path clips = Files.createTempDirectory("framecast-demo-clips");
    console.println("Starting the embedded platform (inference node + scheduler) ...");
    try (InferenceNode node =
            InferenceNode.start(
                NodeOptions.builder(options.modelRepository())
                    .host("127.0.0.1")
                    .port(0)
                    .metricsPort(-1)
                    .build());
        SchedulerServer platform =
            new SchedulerServer(
                new SchedulerServer.Options(
                    List.of("127.0.0.1:" + node.port()),
                    List.of(PipelineSpec.reference()),
                    null,
                    clips,
                    Duration.ofHours(1),
                    EngineConfig.defaults(),
                    2),
                Renderers.standard())) {
      SchedulerCore core = platform.core();
      SchedulerCore.Caller caller = new SchedulerCore.Caller("acme", "demo", false);
      GenerateRequest.Builder request =
          GenerateRequest.newBuilder()
              .setPrompt(options.prompt())
              .setNegativePrompt(options.negative())
              .setSteps(options.steps())
              .setPreviewEvery(options.previewEvery())
              .setIncludeFrames(true);
      if (options.seed() != null) {
        request.setSeed(options.seed());
      }
      if (options.guidance() != null) {
        request.setGuidanceScale(options.guidance());
      }
      dev.framecast.api.v1.Job job = core.submit(caller, request.build());
      console.printf(
          "Job %s: \"%s\", %d steps, guidance %.1f, seed %d%n",
          job.getId(),
          options.prompt(),
          job.getTotalSteps(),
          job.getRequest().getGuidanceScale(),
          job.getSeed());
      List<JobEvent> events = follow(core.owned(caller, job.getId()).events(), console);
      JobEvent last = events.get(events.size() - 1);
      if (!last.hasCompleted()) {
        throw new DemoFailure(
            last.hasFailed()
                ? "the job failed: " + last.getFailed().getStatus().getMessage()
                : "the job was cancelled: " + last.getCancelled().getReason());
      }
      byte[] clip =
          core.clip(caller, job.getId())
              .orElseThrow(() -> new DemoFailure("the clip was not stored"));
      Files.write(options.out(), clip);
      writeSheet(events, last.getCompleted().getClip(), options.sheet());
      return new Result(job.getId(), last.getCompleted(), options.out(), options.sheet());
    } finally {
      try (var files = Files.walk(clips)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Follows the job's events to the end, drawing a progress line. */
  private static List<JobEvent> follow(EventLog log, PrintStream console)
      throws InterruptedException {
    Semaphore wake = new Semaphore(0);
    Runnable listener = wake::release;
    log.addListener(listener);
    List<JobEvent> events = new ArrayList<>();
    long started = System.nanoTime();
    try {
      while (true) {
        List<JobEvent> fresh = log.after(events.size(), Integer.MAX_VALUE);
        for (JobEvent event : fresh) {
          events.add(event);
          if (event.hasProgress() && event.getProgress().getPreviewPng().isEmpty()) {
            console.print(
                "\r"
                    + bar(
                        event.getProgress().getStep(),
                        event.getProgress().getTotalSteps(),
                        started));
          } else if (event.hasStarted()) {
            console.println("Started on node " + event.getStarted().getNode());
          } else if (event.hasQueued() && event.getQueued().getPosition() > 0) {
            console.println("Queued at position " + event.getQueued().getPosition());
          }
          if (EventLog.isTerminal(event)) {
            console.println();
            return events;
          }
        }
        wake.tryAcquire(1, TimeUnit.SECONDS);
      }
    } finally {
      log.removeListener(listener);
    }
  }

  static String bar(int step, int total, long startedNanos) {
    int width = 30;
    int filled = total == 0 ? 0 : step * width / total;
    double elapsed = (System.nanoTime() - startedNanos) / 1e9;
    double eta = step == 0 ? 0 : elapsed / step * (total - step);
    return String.format(
        "[%s%s] step %d/%d  %3d%%  ETA %.0fs   ",
        "#".repeat(filled),
        ".".repeat(width - filled),
        step,
        total,
        total == 0 ? 0 : step * 100 / total,
        eta);
  }

  private static void writeSheet(List<JobEvent> events, ClipInfo clip, Path sheet)
      throws IOException {
    List<JobEvent> frames = events.stream().filter(JobEvent::hasFrame).toList();
    if (frames.isEmpty()) {
      return;
    }
    int width = clip.getWidth();
    int height = clip.getHeight();
    ByteArrayOutputStream rgb = new ByteArrayOutputStream();
    for (JobEvent frame : frames) {
      BufferedImage image =
          ImageIO.read(new ByteArrayInputStream(frame.getFrame().getPng().toByteArray()));
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          int pixel = image.getRGB(x, y);
          rgb.write((pixel >> 16) & 0xFF);
          rgb.write((pixel >> 8) & 0xFF);
          rgb.write(pixel & 0xFF);
        }
      }
    }
    Files.write(
        sheet,
        new ContactSheet(8).render(RgbFrames.of(rgb.toByteArray(), frames.size(), height, width)));
  }

  /** The job did not produce a clip. */
  static final class DemoFailure extends Exception {
    private static final long serialVersionUID = 1L;

    DemoFailure(String message) {
      super(message);
    }
  }
}
