package dev.framecast.scheduler.admission;

import dev.framecast.scheduler.tenant.TenantPolicy;
import java.time.Duration;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * A token bucket per tenant: {@code burst} submissions back to back, then {@code
 * requests_per_minute} sustained.
 *
 * <p>Time is a monotonic nano clock, injected so tests drive it by hand (wall-clock jumps must not
 * refill or drain buckets). Tokens are counted in integer units of 1/60e9 token, in which a bucket
 * refills exactly {@code requests_per_minute} units per nanosecond: no floating point, so the
 * retry-after a client is told is exact and a client that waits it is admitted.
 *
 * <p>Memory is bounded by the configured tenants: callers pass only tenants with a policy, and
 * {@link #retainTenants} drops buckets of tenants removed by a reload. A reload that changes a
 * tenant's rate or burst keeps its current tokens (clamped to the new burst), so editing the file
 * is not a way to refill a bucket.
 */
public final class RateLimiter {

  /** Units per token: nanoseconds per minute, so the refill is {@code rpm} units per nanosecond. */
  private static final long UNITS_PER_TOKEN = 60_000_000_000L;

  private final LongSupplier nanoTime;
  private final ConcurrentMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  /** With the JVM's monotonic clock. */
  public RateLimiter() {
    this(System::nanoTime);
  }

  /** With a clock of nanoseconds that never goes backwards (tests pass a manual one). */
  public RateLimiter(LongSupplier nanoTime) {
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
  }

  /**
   * Takes one token from {@code tenant}'s bucket.
   *
   * @return empty when a token was taken; otherwise how long until the next token, for RetryInfo
   */
  public Optional<Duration> tryAcquire(String tenant, TenantPolicy policy) {
    if (!tenant.equals(policy.name())) {
      throw new IllegalArgumentException(
          "policy of '" + policy.name() + "' passed for tenant '" + tenant + "'");
    }
    return tryAcquire(tenant, policy.requestsPerMinute(), policy.burst());
  }

  /**
   * Takes one token from {@code tenant}'s bucket of {@code burst} tokens refilled at {@code
   * perMinute} (a limiter of its own per kind of call: the scheduler keeps one for submissions and
   * one for reads).
   *
   * @return empty when a token was taken; otherwise how long until the next token, for RetryInfo
   */
  public Optional<Duration> tryAcquire(String tenant, int perMinute, int burst) {
    long now = nanoTime.getAsLong();
    Bucket bucket = buckets.computeIfAbsent(tenant, t -> new Bucket(now, burst));
    long waitNanos = bucket.tryAcquire(now, perMinute, burst);
    return waitNanos == 0 ? Optional.empty() : Optional.of(Duration.ofNanos(waitNanos));
  }

  /** Forgets the buckets of tenants not in {@code tenants} (call after a reload). */
  public void retainTenants(Collection<String> tenants) {
    buckets.keySet().retainAll(tenants);
  }

  /** Number of buckets held; bounded by the configured tenants. */
  public int trackedTenants() {
    return buckets.size();
  }

  /** One tenant's bucket; its own lock, so tenants never contend with each other. */
  private static final class Bucket {
    private long units;
    private long refilledAt;

    Bucket(long now, int burst) {
      this.units = burst * UNITS_PER_TOKEN; // a new tenant starts with a full burst
      this.refilledAt = now;
    }

    /** Returns 0 when a token was taken, else the nanoseconds until one will be there. */
    synchronized long tryAcquire(long now, int perMinute, int burst) {
      long capacity = burst * UNITS_PER_TOKEN; // <= 1e6 * 6e10, far below Long.MAX_VALUE
      long elapsed = Math.max(0, now - refilledAt);
      refilledAt = Math.max(refilledAt, now);
      long missing = capacity - units;
      if (missing <= 0) {
        units = capacity; // also clamps after a reload lowered the burst
      } else if (elapsed >= ceilDiv(missing, perMinute)) {
        units = capacity; // full; also keeps elapsed * perMinute below from overflowing
      } else {
        units += elapsed * perMinute;
      }
      if (units >= UNITS_PER_TOKEN) {
        units -= UNITS_PER_TOKEN;
        return 0;
      }
      return ceilDiv(UNITS_PER_TOKEN - units, perMinute);
    }

    private static long ceilDiv(long a, long b) {
      return -Math.floorDiv(-a, b);
    }
  }
}
