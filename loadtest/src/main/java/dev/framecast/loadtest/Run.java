package dev.framecast.loadtest;

import java.util.List;

/**
 * What one policy's run of one scenario variant left: every job the generator sent and the samples
 * taken along the way (wall time from the run's start).
 *
 * @param arrivalsEndNanos when arrivals stopped
 * @param endNanos when the run stopped watching
 * @param nodeLossNanos when nodes were stopped (-1: none were)
 * @param warmupNanos jobs intended before this are not measured
 */
record Run(
    Scenario scenario,
    String variant,
    Policy policy,
    List<JobRecord> jobs,
    List<Sample> samples,
    long warmupNanos,
    long arrivalsEndNanos,
    long endNanos,
    long nodeLossNanos,
    int nodes) {

  /** Jobs in the measurement window: intended after the warm-up and before arrivals stopped. */
  List<JobRecord> measured() {
    return jobs.stream()
        .filter(j -> j.intendedNanos >= warmupNanos && j.intendedNanos < arrivalsEndNanos)
        .toList();
  }

  String label() {
    return variant.isEmpty() ? policy.letter() : variant + " " + policy.letter();
  }
}
