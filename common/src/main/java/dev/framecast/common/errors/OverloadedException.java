package dev.framecast.common.errors;

import java.time.Duration;

/**
 * The scheduler cannot take the request now (its command queue is full, or it is stopping):
 * UNAVAILABLE with a {@code RetryInfo}, which clients retry after the delay.
 */
public final class OverloadedException extends AdmissionException {
  private static final long serialVersionUID = 1L;
  private final Duration retryAfter;

  public OverloadedException(String message, Duration retryAfter) {
    super(message);
    this.retryAfter = retryAfter;
  }

  public Duration retryAfter() {
    return retryAfter;
  }
}
