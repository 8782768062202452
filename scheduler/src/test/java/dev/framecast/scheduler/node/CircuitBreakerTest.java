package dev.framecast.scheduler.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {
  private long now;
  private final CircuitBreaker breaker =
      new CircuitBreaker(3, Duration.ofSeconds(1), Duration.ofSeconds(4), () -> now);

  @Test
  void opensAfterConsecutiveFailuresAndProbesBackIn() {
    breaker.onFailure();
    breaker.onFailure();
    assertThat(breaker.allow()).isTrue();
    breaker.onFailure();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(breaker.allow()).isFalse();

    now += Duration.ofSeconds(1).toNanos();
    assertThat(breaker.allow()).isTrue(); // the one trial
    assertThat(breaker.allow()).isFalse();
    breaker.onSuccess();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void aFailureAfterTheCooldownWithoutATrialReopensTheBreaker() {
    for (int i = 0; i < 3; i++) {
      breaker.onFailure();
    }
    now += Duration.ofSeconds(1).toNanos();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
    breaker.onFailure(); // e.g. a decode request placed without taking the trial
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
  }

  @Test
  void aFailedTrialReopensWithALongerCooldown() {
    for (int i = 0; i < 3; i++) {
      breaker.onFailure();
    }
    now += Duration.ofSeconds(1).toNanos();
    assertThat(breaker.allow()).isTrue();
    breaker.onFailure();
    now += Duration.ofSeconds(1).toNanos();
    assertThat(breaker.allow()).isFalse();
    now += Duration.ofSeconds(1).toNanos();
    assertThat(breaker.allow()).isTrue();
  }
}
