package dev.framecast.cli.client;

import java.time.Duration;
import java.time.Instant;
import java.util.OptionalDouble;

/**
 * Estimates the time left from the observed step rate: steps done since the first progress event
 * over the time they took. Times are the events' own (server) timestamps, not arrival times, so a
 * replay after a reconnect, which delivers many events at once, does not distort the rate. Queueing
 * and text encoding happen before the first progress event and are left out.
 */
final class StepRate {
  private int firstStep = -1;
  private Instant firstTime;
  private int lastStep;
  private Instant lastTime;

  void observe(int step, Instant time) {
    if (firstTime == null || step < lastStep) {
      firstStep = step;
      firstTime = time;
    }
    lastStep = step;
    lastTime = time;
  }

  /** Seconds until step {@code total}, when at least two steps were seen at different times. */
  OptionalDouble etaSeconds(int total) {
    if (firstTime == null || lastStep <= firstStep) {
      return OptionalDouble.empty();
    }
    double seconds = Duration.between(firstTime, lastTime).toNanos() / 1e9;
    if (seconds <= 0) {
      return OptionalDouble.empty();
    }
    double stepsPerSecond = (lastStep - firstStep) / seconds;
    return OptionalDouble.of(Math.max(0, total - lastStep) / stepsPerSecond);
  }
}
