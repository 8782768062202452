package dev.framecast.scheduler.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.GenerateRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class IdempotencyKeysTest {
  private Instant now = Instant.parse("2026-11-25T12:00:00Z");
  private final Clock clock =
      new Clock() {
        @Override
        public Instant instant() {
          return now;
        }

        @Override
        public java.time.ZoneId getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }
      };

  private static GenerateRequest request(String prompt, String key) {
    return GenerateRequest.newBuilder().setPrompt(prompt).setIdempotencyKey(key).build();
  }

  @Test
  void aKeyIsRememberedForTheWindowPerTenant() {
    IdempotencyKeys keys = new IdempotencyKeys(clock, Duration.ofHours(24), 100);
    keys.remember("acme", "k", "job-1", request("a", "k"));
    assertThat(keys.find("acme", "k")).map(IdempotencyKeys.Entry::jobId).contains("job-1");
    assertThat(keys.find("globex", "k")).isEmpty();

    now = now.plus(Duration.ofHours(23).plusMinutes(59));
    assertThat(keys.find("acme", "k")).isPresent();
    now = now.plus(Duration.ofMinutes(2));
    assertThat(keys.find("acme", "k")).isEmpty();
  }

  @Test
  void sameRequestIgnoresOnlyTheKey() {
    IdempotencyKeys keys = new IdempotencyKeys(clock, Duration.ofHours(24), 100);
    keys.remember("acme", "k", "job-1", request("a red circle", "k"));
    IdempotencyKeys.Entry entry = keys.find("acme", "k").orElseThrow();
    assertThat(IdempotencyKeys.sameRequest(entry, request("a red circle", "k"))).isTrue();
    assertThat(IdempotencyKeys.sameRequest(entry, request("a red circle", "other"))).isTrue();
    assertThat(IdempotencyKeys.sameRequest(entry, request("a blue circle", "k"))).isFalse();
  }

  @Test
  void eachTenantIsBoundedOnItsOwn() {
    IdempotencyKeys keys = new IdempotencyKeys(clock, Duration.ofHours(24), 3);
    keys.remember("globex", "g", "job-g", request("g", "g"));
    for (int i = 0; i < 5; i++) {
      keys.remember("acme", "k" + i, "job-" + i, request("a", "k" + i));
    }
    assertThat(keys.find("acme", "k0")).isEmpty();
    assertThat(keys.find("acme", "k1")).isEmpty();
    assertThat(keys.find("acme", "k4")).isPresent();
    assertThat(keys.find("globex", "g")).isPresent();
  }
}
