package dev.framecast.scheduler.node;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Ejects a node that keeps failing and probes it back in: after {@code threshold} consecutive
 * failures the breaker opens for a cool-down; then one trial is allowed (half-open); success closes
 * it, failure reopens it with the cool-down doubled up to a maximum. Thread-safe.
 */
public final class CircuitBreaker {
  /** The breaker's state. */
  public enum State {
    CLOSED,
    OPEN,
    HALF_OPEN
  }

  private final int threshold;
  private final long baseCooldownNanos;
  private final long maxCooldownNanos;
  private final LongSupplier clock;
  private State state = State.CLOSED;
  private int failures;
  private long cooldownNanos;
  private long openUntil;
  private boolean trialInFlight;

  public CircuitBreaker(
      int threshold, Duration cooldown, Duration maxCooldown, LongSupplier clock) {
    this.threshold = threshold;
    this.baseCooldownNanos = cooldown.toNanos();
    this.maxCooldownNanos = maxCooldown.toNanos();
    this.cooldownNanos = baseCooldownNanos;
    this.clock = clock;
  }

  /** Whether work may be sent now; in half-open state only one trial at a time. */
  /** OPEN becomes HALF_OPEN once the cool-down is over; every method sees the same state. */
  private void refresh() {
    if (state == State.OPEN && clock.getAsLong() >= openUntil) {
      state = State.HALF_OPEN;
      trialInFlight = false;
    }
  }

  public synchronized boolean allow() {
    refresh();
    if (state == State.CLOSED) {
      return true;
    }
    if (state == State.HALF_OPEN && !trialInFlight) {
      trialInFlight = true;
      return true;
    }
    return false;
  }

  public synchronized void onSuccess() {
    state = State.CLOSED;
    failures = 0;
    cooldownNanos = baseCooldownNanos;
    trialInFlight = false;
  }

  public synchronized void onFailure() {
    refresh();
    failures++;
    if (state == State.HALF_OPEN) {
      cooldownNanos = Math.min(maxCooldownNanos, cooldownNanos * 2);
      open();
    } else if (state == State.CLOSED && failures >= threshold) {
      open();
    }
  }

  private void open() {
    state = State.OPEN;
    openUntil = clock.getAsLong() + cooldownNanos;
    trialInFlight = false;
  }

  public synchronized State state() {
    refresh();
    return state;
  }
}
