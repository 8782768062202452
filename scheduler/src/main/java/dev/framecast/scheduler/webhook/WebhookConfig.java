package dev.framecast.scheduler.webhook;

import java.time.Duration;
import java.util.List;

/**
 * How webhooks are delivered.
 *
 * @param allow address ranges (CIDR) webhooks may reach even where the deny list says no (e.g.
 *     {@code 127.0.0.0/8} on one machine)
 * @param deny address ranges denied beside the built-in ones (private, loopback, link-local ...)
 * @param maxAttempts attempts per delivery before it is given up (at least 1)
 * @param firstRetry the wait before the second attempt; each later wait doubles, with jitter
 * @param maxRetry the longest wait between attempts
 * @param timeout one attempt's connect and response time
 */
public record WebhookConfig(
    List<String> allow,
    List<String> deny,
    int maxAttempts,
    Duration firstRetry,
    Duration maxRetry,
    Duration timeout) {

  /** Deliveries pending (waiting for an attempt or a retry) at most; more are dropped, counted. */
  public static final int MAX_PENDING = 10_000;

  public static final WebhookConfig DEFAULT =
      new WebhookConfig(
          List.of(),
          List.of(),
          8,
          Duration.ofSeconds(5),
          Duration.ofMinutes(10),
          Duration.ofSeconds(10));

  public WebhookConfig {
    allow = List.copyOf(allow);
    deny = List.copyOf(deny);
    if (maxAttempts < 1 || maxAttempts > 100) {
      throw new IllegalArgumentException("webhook attempts must be 1 to 100, got " + maxAttempts);
    }
    if (firstRetry.isNegative() || maxRetry.compareTo(firstRetry) < 0) {
      throw new IllegalArgumentException(
          "webhook retry waits must be >= 0, the longest at least the first");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("the webhook timeout must be positive");
    }
    // Parse the ranges now, so a bad one stops the start, not a delivery.
    new WebhookAddresses(allow, deny);
  }

  /**
   * The default delivery with these ranges, attempts and first wait (the longest wait stays the
   * default's unless the first is longer): what the scheduler's flags and the embedded gateway's
   * settings give.
   */
  public static WebhookConfig of(
      List<String> allow, List<String> deny, int maxAttempts, Duration firstRetry) {
    Duration longest = firstRetry.compareTo(DEFAULT.maxRetry) > 0 ? firstRetry : DEFAULT.maxRetry;
    return new WebhookConfig(allow, deny, maxAttempts, firstRetry, longest, DEFAULT.timeout);
  }

  /** The wait before attempt {@code attempt + 1} (attempt counts from 1), before jitter. */
  Duration backoff(int attempt) {
    Duration wait = firstRetry;
    for (int i = 1; i < attempt && wait.compareTo(maxRetry) < 0; i++) {
      wait = wait.multipliedBy(2);
    }
    return wait.compareTo(maxRetry) > 0 ? maxRetry : wait;
  }
}
