package dev.framecast.scheduler.job;

import dev.framecast.api.v1.Priority;

/** Job specs for tests that need a job but not its request. */
public final class Specs {
  private Specs() {}

  /** A spec of the reference pipeline: prompt "p", guidance 4, seed 0, no previews. */
  public static JobSpec spec(int steps, Priority priority) {
    return new JobSpec(
        "reference", "p", "", steps, 4f, 0, priority != Priority.PRIORITY_BATCH, 0, false, "");
  }
}
