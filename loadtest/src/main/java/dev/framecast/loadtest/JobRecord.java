package dev.framecast.loadtest;

/**
 * What the generator saw of one job, in nanoseconds from the run's start (wall time); -1 until
 * seen. Latencies are measured from {@link #intendedNanos}, the arrival's scheduled send time, so a
 * generator that falls behind does not hide the delay (no coordinated omission).
 */
public final class JobRecord {
  /** How a job ended, as the client saw it. */
  public enum Outcome {
    /** Still running when the run ended (censored: its latency is at least the run's rest). */
    INCOMPLETE,
    SUCCEEDED,
    FAILED,
    CANCELLED,
    /** Refused at submission (e.g. RESOURCE_EXHAUSTED by a quota). */
    REJECTED,
    /** The stream broke with another error. */
    ERROR
  }

  final String tenant;
  final int steps;
  final long intendedNanos;
  volatile long sentNanos = -1;
  volatile long firstEventNanos = -1;
  volatile long startedNanos = -1;
  volatile long firstPreviewNanos = -1;
  volatile long endNanos = -1;
  volatile int stepsSeen;
  volatile double gpuSeconds;
  volatile String jobId = "";
  volatile String error = "";
  volatile Outcome outcome = Outcome.INCOMPLETE;

  JobRecord(String tenant, int steps, long intendedNanos) {
    this.tenant = tenant;
    this.steps = steps;
    this.intendedNanos = intendedNanos;
  }

  public String tenant() {
    return tenant;
  }

  public Outcome outcome() {
    return outcome;
  }

  boolean ended() {
    return outcome != Outcome.INCOMPLETE;
  }

  /** From the intended send time to the end of the job; -1 when it has not ended. */
  long completionNanos() {
    return endNanos < 0 ? -1 : endNanos - intendedNanos;
  }

  long firstEventLatencyNanos() {
    return firstEventNanos < 0 ? -1 : firstEventNanos - intendedNanos;
  }

  long firstPreviewLatencyNanos() {
    return firstPreviewNanos < 0 ? -1 : firstPreviewNanos - intendedNanos;
  }
}
