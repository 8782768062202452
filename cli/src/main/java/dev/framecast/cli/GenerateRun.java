package dev.framecast.cli;

import dev.framecast.api.v1.ClipInfo;
import dev.framecast.api.v1.Completed;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.GetJobRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.cli.client.BrokenStreamException;
import dev.framecast.cli.client.ClipAssembler;
import dev.framecast.cli.client.FramecastClient;
import dev.framecast.cli.client.JobCollector;
import dev.framecast.cli.client.JobFollower;
import dev.framecast.cli.client.ProgressView;
import dev.framecast.cli.client.StatusReport;
import dev.framecast.cli.client.StreamLostException;
import dev.framecast.cli.media.FrameSheets;
import dev.framecast.media.Mp4Decoder;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One job from the command line, the path generate and demo share: follow it with progress on
 * stderr (reconnecting when the stream drops), then write the MP4 and its contact sheet and print
 * the job id, seed and GPU-seconds. One instance per job.
 */
public final class GenerateRun {
  /** How often the queue position is refreshed with GetJob while the job waits. */
  static final long QUEUE_POLL_MILLIS = 2_000;

  /** What a finished run wrote. */
  public record Result(String jobId, Completed completed, Path clip, Path sheet) {}

  private final FramecastClient client;
  private final Terminal terminal;
  private final String tokenSource;
  private final JobFollower follower;
  private final ProgressView progress;

  public GenerateRun(
      FramecastClient client, Terminal terminal, String tokenSource, JobFollower.Retry retry) {
    this.client = client;
    this.terminal = terminal;
    this.tokenSource = tokenSource;
    this.follower = new JobFollower(client, retry, d -> Thread.sleep(d.toMillis()));
    this.progress = new ProgressView(terminal.err(), terminal.interactive());
  }

  /** The job's id once the server named it (for Ctrl-C), else null. */
  public String jobId() {
    return follower.jobId();
  }

  public ProgressView progress() {
    return progress;
  }

  /** Submits {@code request} with Generate and follows the job to its end. */
  public Result generate(GenerateRequest request, Path out)
      throws CliException, InterruptedException {
    return run(null, request, out);
  }

  /** Follows an existing job from its first event ({@code --watch}). */
  public Result watch(String jobId, Path out) throws CliException, InterruptedException {
    return run(jobId, null, out);
  }

  private Result run(String jobId, GenerateRequest request, Path out)
      throws CliException, InterruptedException {
    JobCollector collector = new JobCollector(progress, new ClipAssembler());
    ScheduledExecutorService poller = startQueuePoller();
    JobEvent terminal;
    try {
      terminal =
          jobId == null ? follower.generate(request, collector) : follower.watch(jobId, collector);
    } catch (StatusRuntimeException e) {
      throw ServerErrors.of(e, client.address(), tokenSource);
    } catch (StreamLostException e) {
      throw lost(e);
    } catch (BrokenStreamException e) {
      throw CliException.server("the server sent a broken event stream: " + e.getMessage());
    } finally {
      poller.shutdownNow();
      progress.end();
    }
    String id = terminal.getJobId();
    if (terminal.hasFailed()) {
      List<String> lines = StatusReport.describe(terminal.getFailed().getStatus());
      throw CliException.jobFailed(
          "job " + id + " failed: " + String.join(System.lineSeparator(), lines));
    }
    if (terminal.hasCancelled()) {
      String reason = terminal.getCancelled().getReason();
      throw CliException.jobFailed(
          "job " + id + " was cancelled" + (reason.isEmpty() ? "" : ": " + reason));
    }
    Completed completed = terminal.getCompleted();
    Path sheet = sheetPath(out);
    write(collector, completed.getClip(), out, sheet);
    return new Result(id, completed, out, sheet);
  }

  private CliException lost(StreamLostException e) {
    return new CliException(
        CliException.SERVER,
        e.getMessage()
            + "; job "
            + e.jobId()
            + " keeps running on the server. Resume with: ./framecast generate --watch "
            + e.jobId()
            + " --server "
            + client.address(),
        e);
  }

  /** Keeps the queue line fresh: positions change without events as other jobs finish. */
  private ScheduledExecutorService startQueuePoller() {
    ScheduledExecutorService poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "queue-position");
              t.setDaemon(true);
              return t;
            });
    poller.scheduleWithFixedDelay(
        () -> {
          String id = follower.jobId();
          if (id == null || !progress.queued()) {
            return;
          }
          try {
            Job job = client.unary().getJob(GetJobRequest.newBuilder().setJobId(id).build());
            if (job.getState() == JobState.QUEUED) {
              progress.queuePosition(job.getQueuePosition());
            }
          } catch (StatusRuntimeException e) {
            // The position is a nicety; the event stream reports anything that matters.
          }
        },
        QUEUE_POLL_MILLIS,
        QUEUE_POLL_MILLIS,
        TimeUnit.MILLISECONDS);
    return poller;
  }

  private static void write(JobCollector collector, ClipInfo info, Path out, Path sheet)
      throws CliException {
    byte[] clip = collector.clip();
    try {
      Files.write(out, clip);
    } catch (IOException e) {
      throw CliException.usage("cannot write " + out + ": " + e.getMessage());
    }
    try {
      List<byte[]> frames = collector.frames(info.getFrameCount());
      // Without streamed frames (--no-frames, or a watched job that did not ask for them) the
      // sheet comes from the clip itself.
      byte[] png =
          frames.isEmpty()
              ? FrameSheets.fromDecoded(Mp4Decoder.decode(clip))
              : FrameSheets.fromPngs(frames);
      Files.write(sheet, png);
    } catch (IOException | RuntimeException e) {
      throw CliException.server(
          "wrote " + out + " but not the contact sheet " + sheet + ": " + e.getMessage());
    }
  }

  /** The contact sheet's path: the clip's with {@code .png}. */
  public static Path sheetPath(Path clip) {
    String name = clip.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return clip.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".png");
  }

  /** The summary lines on stdout. */
  public static void printSummary(Result result, Terminal terminal) {
    Completed done = result.completed();
    ClipInfo clip = done.getClip();
    com.google.protobuf.Duration total = done.getTimings().getTotal();
    terminal
        .out()
        .printf(
            "Job %s: seed %s, %.2f GPU-seconds, %d frames %dx%d at %.0f fps, %.1fs in all%n",
            result.jobId(),
            Long.toUnsignedString(done.getSeed()),
            done.getGpuSeconds(),
            clip.getFrameCount(),
            clip.getWidth(),
            clip.getHeight(),
            clip.getFps(),
            total.getSeconds() + total.getNanos() / 1e9);
    terminal
        .out()
        .printf(
            "Wrote %s (%,d bytes, %s) and %s (contact sheet)%n",
            result.clip(),
            done.getClipSizeBytes(),
            clip.getContentType().isEmpty() ? "video/mp4" : clip.getContentType(),
            result.sheet());
  }
}
