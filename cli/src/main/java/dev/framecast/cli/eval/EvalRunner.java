package dev.framecast.cli.eval;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.Priority;
import dev.framecast.cli.client.BrokenStreamException;
import dev.framecast.cli.client.ClipAssembler;
import dev.framecast.cli.client.FramecastClient;
import dev.framecast.cli.client.JobCollector;
import dev.framecast.cli.client.JobFollower;
import dev.framecast.cli.client.StatusReport;
import dev.framecast.cli.client.StreamLostException;
import dev.framecast.cli.eval.EvalPrompts.EvalPrompt;
import dev.framecast.media.Mp4Decoder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Generates the evaluation prompts through the public API, {@code parallel} jobs at a time (the
 * scheduler batches their steps), then decodes each MP4 and scores it. A prompt that was refused
 * for quota (RESOURCE_EXHAUSTED before the job existed) is resent after RetryInfo's delay; any
 * other refusal stops the remaining prompts, since it would refuse them all (a bad token, an
 * unreachable server).
 */
public final class EvalRunner {
  /** Resends of one prompt refused for quota before giving up. */
  static final int QUOTA_RETRIES = 20;

  static final Duration DEFAULT_QUOTA_DELAY = Duration.ofSeconds(1);

  /**
   * One prompt's outcome.
   *
   * @param prompt the prompt
   * @param jobId its job, null if none was created
   * @param score the clip's score, null without a clip
   * @param clip the decoded clip, null without one
   * @param steps the job's denoising steps as the server ran them, 0 if unknown
   * @param gpuSeconds the job's GPU-seconds
   * @param error why there is no score, null when there is one
   * @param serverError whether the error was the server's (exit 3) rather than the job's (exit 1)
   */
  public record Row(
      EvalPrompt prompt,
      String jobId,
      ClipScorer.Score score,
      Mp4Decoder.Decoded clip,
      int steps,
      double gpuSeconds,
      String error,
      boolean serverError) {

    public boolean colourOk() {
      return score != null && prompt.colour().equals(score.colour());
    }

    public boolean directionOk() {
      return score != null && prompt.direction().equals(score.direction());
    }
  }

  private final FramecastClient client;
  private final int parallel;
  private final int steps;
  private final Float guidance;
  private final PrintStream err;
  private final String runId;
  private final AtomicReference<String> fatal = new AtomicReference<>();
  private final AtomicInteger done = new AtomicInteger();

  /**
   * @param steps denoising steps, 0 for the pipeline's default
   * @param guidance guidance scale, null for the pipeline's default
   * @param runId makes the idempotency keys of this run unique
   */
  public EvalRunner(
      FramecastClient client,
      int parallel,
      int steps,
      Float guidance,
      PrintStream err,
      String runId) {
    this.client = client;
    this.parallel = parallel;
    this.steps = steps;
    this.guidance = guidance;
    this.err = err;
    this.runId = runId;
  }

  /** Runs every prompt; the rows are in the prompts' order. */
  public List<Row> run(List<EvalPrompt> prompts) throws InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, parallel));
    try {
      List<Future<Row>> futures = new ArrayList<>();
      for (int i = 0; i < prompts.size(); i++) {
        int index = i;
        futures.add(pool.submit(() -> report(one(index, prompts.get(index)), prompts.size())));
      }
      List<Row> rows = new ArrayList<>();
      for (Future<Row> future : futures) {
        try {
          rows.add(future.get());
        } catch (ExecutionException e) {
          throw new IllegalStateException("an evaluation task failed", e.getCause());
        }
      }
      return rows;
    } finally {
      pool.shutdownNow();
    }
  }

  GenerateRequest request(int index, EvalPrompt prompt) {
    GenerateRequest.Builder request =
        GenerateRequest.newBuilder()
            .setPrompt(prompt.prompt())
            .setSeed(prompt.seed())
            .setSteps(steps)
            .setPriority(Priority.PRIORITY_BATCH)
            .setIdempotencyKey("eval-" + runId + "-" + index);
    if (guidance != null) {
      request.setGuidanceScale(guidance);
    }
    return request.build();
  }

  private Row one(int index, EvalPrompt prompt) throws InterruptedException {
    if (fatal.get() != null) {
      return failed(prompt, null, "skipped: " + fatal.get(), true);
    }
    GenerateRequest request = request(index, prompt);
    for (int attempt = 0; ; attempt++) {
      JobFollower follower = new JobFollower(client);
      AtomicInteger totalSteps = new AtomicInteger();
      JobCollector collector =
          new JobCollector(
              event -> {
                if (event.hasProgress()) {
                  totalSteps.set(event.getProgress().getTotalSteps());
                }
              },
              new ClipAssembler());
      try {
        return finished(prompt, follower.generate(request, collector), collector, totalSteps.get());
      } catch (StatusRuntimeException e) {
        boolean quota = e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED;
        if (quota && follower.jobId() == null && attempt < QUOTA_RETRIES) {
          Thread.sleep(StatusReport.retryDelay(e).orElse(DEFAULT_QUOTA_DELAY).toMillis());
          continue;
        }
        String message = String.join(" ", StatusReport.describe(e));
        fatal.compareAndSet(null, message);
        return failed(prompt, follower.jobId(), message, true);
      } catch (StreamLostException e) {
        fatal.compareAndSet(null, e.getMessage());
        return failed(prompt, e.jobId(), e.getMessage(), true);
      } catch (BrokenStreamException e) {
        return failed(prompt, follower.jobId(), e.getMessage(), true);
      }
    }
  }

  private Row finished(
      EvalPrompt prompt, JobEvent terminal, JobCollector collector, int totalSteps) {
    String jobId = terminal.getJobId();
    if (terminal.hasFailed()) {
      return failed(
          prompt,
          jobId,
          "failed: " + String.join(" ", StatusReport.describe(terminal.getFailed().getStatus())),
          false);
    }
    if (terminal.hasCancelled()) {
      return failed(prompt, jobId, "cancelled: " + terminal.getCancelled().getReason(), false);
    }
    Mp4Decoder.Decoded clip;
    try {
      clip = Mp4Decoder.decode(collector.clip());
    } catch (IOException e) {
      return failed(prompt, jobId, "cannot decode the clip: " + e.getMessage(), true);
    }
    ClipScorer.Score score = ClipScorer.score(clip.frames(), clip.width(), clip.height());
    return new Row(
        prompt,
        jobId,
        score,
        clip,
        totalSteps,
        terminal.getCompleted().getGpuSeconds(),
        null,
        false);
  }

  private static Row failed(EvalPrompt prompt, String jobId, String error, boolean server) {
    return new Row(prompt, jobId, null, null, 0, 0, error, server);
  }

  private Row report(Row row, int total) {
    String outcome =
        row.error() != null
            ? row.error()
            : String.format(
                "colour %s %s, direction %s %s",
                EvalReport.name(row.score().colour()),
                row.colourOk() ? "ok" : "BAD",
                EvalReport.name(row.score().direction()),
                row.directionOk() ? "ok" : "BAD");
    synchronized (err) {
      // Counted under the same lock as the print, so the lines come out numbered in order.
      err.printf(
          "[%2d/%d] %s: %s%n", done.incrementAndGet(), total, row.prompt().prompt(), outcome);
    }
    return row;
  }
}
