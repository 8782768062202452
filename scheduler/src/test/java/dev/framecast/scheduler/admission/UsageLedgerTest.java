package dev.framecast.scheduler.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.framecast.api.v1.Quota;
import dev.framecast.api.v1.Usage;
import dev.framecast.scheduler.admission.UsageLedger.Outcome;
import dev.framecast.scheduler.tenant.TenantPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class UsageLedgerTest {

  private static final Instant MIDNIGHT = Instant.parse("2026-03-14T00:00:00Z");

  private final ManualClock clock = new ManualClock(Instant.parse("2026-03-13T23:59:58Z"));
  private final UsageLedger ledger = new UsageLedger(clock);

  @Test
  void dailyGpuSecondsResetAtUtcMidnightTotalsDoNot() {
    ledger.record("acme", 10);
    ledger.record("acme", 2.5);
    assertThat(ledger.usage("acme").gpuSecondsToday()).isEqualTo(12.5);
    assertThat(ledger.windowStart()).isEqualTo(MIDNIGHT.minus(Duration.ofDays(1)));
    assertThat(ledger.untilWindowEnd()).isEqualTo(Duration.ofSeconds(2));

    clock.advance(Duration.ofMillis(1999)); // 23:59:59.999, still the same day
    assertThat(ledger.usage("acme").gpuSecondsToday()).isEqualTo(12.5);

    clock.advance(Duration.ofMillis(1)); // exactly midnight
    assertThat(ledger.usage("acme").gpuSecondsToday()).isZero();
    assertThat(ledger.usage("acme").gpuSecondsTotal()).isEqualTo(12.5);
    assertThat(ledger.usage("acme").windowStart()).isEqualTo(MIDNIGHT);
    assertThat(ledger.untilWindowEnd()).isEqualTo(Duration.ofDays(1));

    ledger.record("acme", 1);
    assertThat(ledger.usage("acme").gpuSecondsToday()).isEqualTo(1);
    assertThat(ledger.usage("acme").gpuSecondsTotal()).isEqualTo(13.5);
  }

  @Test
  void wallClockSteppingBackDoesNotWipeToday() {
    clock.set(MIDNIGHT.plusSeconds(5));
    ledger.record("acme", 4);
    clock.set(MIDNIGHT.minusSeconds(1));
    ledger.record("acme", 1);
    assertThat(ledger.usage("acme").gpuSecondsToday()).isEqualTo(5);
  }

  @Test
  void countsOutcomesAndRejectionsPerTenant() {
    ledger.recordOutcome("acme", Outcome.SUCCEEDED);
    ledger.recordOutcome("acme", Outcome.SUCCEEDED);
    ledger.recordOutcome("acme", Outcome.FAILED);
    ledger.recordOutcome("acme", Outcome.CANCELLED);
    ledger.recordRejected("acme");
    ledger.recordRejected("globex");

    UsageLedger.TenantUsage acme = ledger.usage("acme");
    assertThat(acme.succeeded()).isEqualTo(2);
    assertThat(acme.failed()).isEqualTo(1);
    assertThat(acme.cancelled()).isEqualTo(1);
    assertThat(acme.rejected()).isEqualTo(1);
    assertThat(ledger.usage("globex").rejected()).isEqualTo(1);
    assertThat(ledger.usage("nobody").succeeded()).isZero();
  }

  @Test
  void refusesNegativeOrNonFiniteCharges() {
    assertThatThrownBy(() -> ledger.record("acme", -1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ledger.record("acme", Double.NaN))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void buildsUsageProto() {
    TenantPolicy policy =
        new TenantPolicy("acme", 2, 8, 128, 240, 40, 3600, 50, List.of("small", "large"));
    ledger.record("acme", 7);
    ledger.recordOutcome("acme", Outcome.SUCCEEDED);
    ledger.recordRejected("acme");

    Usage usage = ledger.toUsageProto("acme", policy, 3, 5);

    assertThat(usage.getTenant()).isEqualTo("acme");
    assertThat(usage.getGpuSecondsToday()).isEqualTo(7);
    assertThat(usage.getGpuSecondsTotal()).isEqualTo(7);
    assertThat(usage.getRunningJobs()).isEqualTo(3);
    assertThat(usage.getQueuedJobs()).isEqualTo(5);
    assertThat(usage.getJobsSucceeded()).isEqualTo(1);
    assertThat(usage.getRequestsRejected()).isEqualTo(1);
    assertThat(usage.getWindowStart().getSeconds())
        .isEqualTo(MIDNIGHT.minus(Duration.ofDays(1)).getEpochSecond());
    assertThat(usage.getQuota())
        .isEqualTo(
            Quota.newBuilder()
                .setWeight(2)
                .setMaxConcurrentJobs(8)
                .setMaxQueuedJobs(128)
                .setRequestsPerSecond(4)
                .setBurst(40)
                .setDailyGpuSeconds(3600)
                .addAllowedModels("small")
                .addAllowedModels("large")
                .setMaxSteps(50)
                .build());
  }
}
