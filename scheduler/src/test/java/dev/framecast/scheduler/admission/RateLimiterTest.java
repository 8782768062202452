package dev.framecast.scheduler.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.framecast.scheduler.tenant.TenantPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

  private final AtomicLong nanos = new AtomicLong(123_456_789L);
  private final RateLimiter limiter = new RateLimiter(nanos::get);

  @Test
  void burstThenSustainedRate() {
    TenantPolicy acme = policy("acme", 60, 3); // one token per second, three at once

    for (int i = 0; i < 3; i++) {
      assertThat(limiter.tryAcquire("acme", acme)).as("burst request %d", i).isEmpty();
    }
    assertThat(limiter.tryAcquire("acme", acme)).contains(Duration.ofSeconds(1));

    advance(Duration.ofMillis(999));
    assertThat(limiter.tryAcquire("acme", acme)).contains(Duration.ofMillis(1));
    advance(Duration.ofMillis(1));
    assertThat(limiter.tryAcquire("acme", acme)).isEmpty();
    assertThat(limiter.tryAcquire("acme", acme)).contains(Duration.ofSeconds(1));

    advance(Duration.ofSeconds(2)); // two tokens back, not more
    assertThat(limiter.tryAcquire("acme", acme)).isEmpty();
    assertThat(limiter.tryAcquire("acme", acme)).isEmpty();
    assertThat(limiter.tryAcquire("acme", acme)).isPresent();
  }

  @Test
  void retryAfterIsExactForRatesThatDoNotDivideAMinute() {
    TenantPolicy acme = policy("acme", 7, 1); // a token every 8.571428571... s

    assertThat(limiter.tryAcquire("acme", acme)).isEmpty();
    Duration wait = limiter.tryAcquire("acme", acme).orElseThrow();
    assertThat(wait).isEqualTo(Duration.ofNanos(8_571_428_572L)); // rounded up, never early

    advance(wait.minusNanos(1));
    assertThat(limiter.tryAcquire("acme", acme)).contains(Duration.ofNanos(1));
    advance(Duration.ofNanos(1));
    assertThat(limiter.tryAcquire("acme", acme)).isEmpty();
  }

  @Test
  void refillIsCappedAtBurstAfterLongIdleness() {
    TenantPolicy acme = policy("acme", 1_000_000, 2);
    limiter.tryAcquire("acme", acme);
    advance(Duration.ofDays(400)); // would overflow a naive elapsed * rate

    assertThat(limiter.tryAcquire("acme", acme)).isEmpty();
    assertThat(limiter.tryAcquire("acme", acme)).isEmpty();
    assertThat(limiter.tryAcquire("acme", acme)).isPresent();
  }

  @Test
  void tenantsHaveSeparateBuckets() {
    TenantPolicy acme = policy("acme", 60, 1);
    TenantPolicy globex = policy("globex", 60, 1);

    assertThat(limiter.tryAcquire("acme", acme)).isEmpty();
    assertThat(limiter.tryAcquire("acme", acme)).isPresent();
    assertThat(limiter.tryAcquire("globex", globex)).isEmpty();
  }

  @Test
  void lowerBurstAfterReloadClampsTokensWithoutRefilling() {
    assertThat(limiter.tryAcquire("acme", policy("acme", 60, 10))).isEmpty(); // 9 left
    TenantPolicy smaller = policy("acme", 60, 2);

    assertThat(limiter.tryAcquire("acme", smaller)).isEmpty();
    assertThat(limiter.tryAcquire("acme", smaller)).isEmpty();
    assertThat(limiter.tryAcquire("acme", smaller)).contains(Duration.ofSeconds(1));
  }

  @Test
  void memoryIsBoundedByConfiguredTenants() {
    limiter.tryAcquire("acme", policy("acme", 60, 1));
    limiter.tryAcquire("globex", policy("globex", 60, 1));
    assertThat(limiter.trackedTenants()).isEqualTo(2);

    limiter.retainTenants(Set.of("acme"));

    assertThat(limiter.trackedTenants()).isEqualTo(1);
  }

  @Test
  void refusesAnotherTenantsPolicy() {
    assertThatThrownBy(() -> limiter.tryAcquire("acme", policy("globex", 60, 1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private void advance(Duration duration) {
    nanos.addAndGet(duration.toNanos());
  }

  private static TenantPolicy policy(String name, int perMinute, int burst) {
    return new TenantPolicy(name, 1, 4, 64, perMinute, burst, 0, 0, List.of());
  }
}
