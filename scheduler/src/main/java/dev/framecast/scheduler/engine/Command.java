package dev.framecast.scheduler.engine;

import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.scheduler.job.Job;

/** What other threads tell the loop thread. The loop drains these between ticks. */
sealed interface Command {
  /** A newly admitted job. */
  record Submit(Job job) implements Command {}

  /** Cancel a job at its next step boundary. */
  record Cancel(String jobId, String reason) implements Command {}

  /**
   * A node request finished (response or error) after {@code latencyNanos}, at {@code endNanos}
   * ({@link System#nanoTime}; {@link #UNTIMED} when unknown).
   */
  record Done(
      Plan.Batch batch,
      ModelInferResponse response,
      Throwable error,
      long latencyNanos,
      long endNanos)
      implements Command {
    static final long UNTIMED = Long.MIN_VALUE;

    Done(Plan.Batch batch, ModelInferResponse response, Throwable error, long latencyNanos) {
      this(batch, response, error, latencyNanos, UNTIMED);
    }
  }

  /** A preview image was rendered. */
  record PreviewReady(Job job, int step, byte[] png) implements Command {}

  /** A job's frames and clip were rendered and stored (or failed to). */
  record Rendered(Job job, ClipRenderer.Rendered output, Throwable error) implements Command {}

  /** Stop the loop. */
  record Stop() implements Command {}
}
