package dev.framecast.scheduler.admission;

import com.google.protobuf.Timestamp;
import dev.framecast.api.v1.Quota;
import dev.framecast.api.v1.Usage;
import dev.framecast.scheduler.tenant.TenantPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Per-tenant consumption: GPU-seconds in the current UTC day (the window of {@code
 * gpu_seconds_per_day}) and since start, and job outcome counts.
 *
 * <p>Written by the scheduler loop (GPU-seconds, outcomes) and by admission on gRPC threads
 * (rejections), read by admission and {@code GetUsage}: each tenant's account has its own lock,
 * held for a few additions. The day rolls over lazily on the first touch after UTC midnight of the
 * injected clock, so no timer thread is needed and tests move the clock by hand.
 *
 * <p>Memory: one small account per tenant that was ever admitted or charged; admission never
 * records for unknown tenants.
 */
public final class UsageLedger {

  /** How a job that was admitted ended. */
  public enum Outcome {
    SUCCEEDED,
    FAILED,
    CANCELLED
  }

  /**
   * A tenant's consumption at one instant; all fields from the same moment.
   *
   * @param windowStart start of the UTC day that {@code gpuSecondsToday} covers
   */
  public record TenantUsage(
      Instant windowStart,
      double gpuSecondsToday,
      double gpuSecondsTotal,
      long succeeded,
      long failed,
      long cancelled,
      long rejected) {}

  private final Clock clock;
  private final ConcurrentMap<String, Account> accounts = new ConcurrentHashMap<>();

  public UsageLedger(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Charges {@code gpuSeconds} (a job's share of a batch's measured latency) to the tenant. */
  public void record(String tenant, double gpuSeconds) {
    if (!(gpuSeconds >= 0) || Double.isInfinite(gpuSeconds)) {
      throw new IllegalArgumentException("gpuSeconds must be finite and >= 0: " + gpuSeconds);
    }
    account(tenant).charge(today(), gpuSeconds);
  }

  /**
   * Takes back a tenant's usage from the job store at start: {@code day}'s GPU-seconds and outcomes
   * (counted only if {@code day} is today) and the GPU-seconds of every stored day.
   */
  public void restore(
      String tenant,
      LocalDate day,
      double gpuSecondsOnDay,
      long succeeded,
      long failed,
      long cancelled,
      double gpuSecondsTotal) {
    account(tenant)
        .restore(today(), day, gpuSecondsOnDay, succeeded, failed, cancelled, gpuSecondsTotal);
  }

  /**
   * Gives back GPU-seconds charged for work that was lost (a job rerun from its first step after a
   * restart is charged again as it runs). Never below zero.
   */
  public void refund(String tenant, double gpuSeconds) {
    if (!(gpuSeconds >= 0) || Double.isInfinite(gpuSeconds)) {
      throw new IllegalArgumentException("gpuSeconds must be finite and >= 0: " + gpuSeconds);
    }
    account(tenant).refund(today(), gpuSeconds);
  }

  public void recordOutcome(String tenant, Outcome outcome) {
    account(tenant).count(today(), Objects.requireNonNull(outcome, "outcome"));
  }

  /** A submission refused by admission. */
  public void recordRejected(String tenant) {
    account(tenant).reject(today());
  }

  /** The tenant's consumption now; zeros for a tenant never seen. */
  public TenantUsage usage(String tenant) {
    LocalDate today = today();
    Account account = accounts.get(tenant);
    return account == null
        ? new TenantUsage(startOf(today), 0, 0, 0, 0, 0, 0)
        : account.snapshot(today);
  }

  /** Start of the current daily window (UTC midnight). */
  public Instant windowStart() {
    return startOf(today());
  }

  /** Time until the daily window resets: the retry-after of an exhausted daily quota. */
  public Duration untilWindowEnd() {
    Instant now = clock.instant();
    return Duration.between(now, startOf(day(now).plusDays(1)));
  }

  /** The {@code GetUsage} answer; {@code running} and {@code queued} come from the scheduler. */
  public Usage toUsageProto(String tenant, TenantPolicy policy, int running, int queued) {
    TenantUsage usage = usage(tenant);
    return Usage.newBuilder()
        .setTenant(tenant)
        .setQuota(quota(policy))
        .setGpuSecondsToday(usage.gpuSecondsToday())
        .setGpuSecondsTotal(usage.gpuSecondsTotal())
        .setRunningJobs(running)
        .setQueuedJobs(queued)
        .setJobsSucceeded(usage.succeeded())
        .setJobsFailed(usage.failed())
        .setJobsCancelled(usage.cancelled())
        .setRequestsRejected(usage.rejected())
        .setWindowStart(
            Timestamp.newBuilder().setSeconds(usage.windowStart().getEpochSecond()).build())
        .build();
  }

  static Quota quota(TenantPolicy policy) {
    return Quota.newBuilder()
        .setWeight(policy.weight())
        .setMaxConcurrentJobs(policy.maxConcurrentJobs())
        .setMaxQueuedJobs(policy.maxQueuedJobs())
        // The API speaks per second; the file speaks per minute because small rates read better.
        .setRequestsPerSecond(policy.requestsPerMinute() / 60.0)
        .setBurst(policy.burst())
        .setDailyGpuSeconds(policy.gpuSecondsPerDay())
        .addAllAllowedModels(policy.allowedPipelines())
        .setMaxSteps(policy.maxSteps())
        .build();
  }

  private Account account(String tenant) {
    Objects.requireNonNull(tenant, "tenant");
    return accounts.computeIfAbsent(tenant, t -> new Account());
  }

  private LocalDate today() {
    return day(clock.instant());
  }

  private static LocalDate day(Instant instant) {
    return LocalDate.ofInstant(instant, ZoneOffset.UTC);
  }

  private static Instant startOf(LocalDate day) {
    return day.atStartOfDay(ZoneOffset.UTC).toInstant();
  }

  /** One tenant's counters. */
  private static final class Account {
    private LocalDate day;
    private double gpuSecondsToday;
    private double gpuSecondsTotal;
    private long succeeded;
    private long failed;
    private long cancelled;
    private long rejected;

    synchronized void charge(LocalDate today, double gpuSeconds) {
      rollOver(today);
      gpuSecondsToday += gpuSeconds;
      gpuSecondsTotal += gpuSeconds;
    }

    synchronized void restore(
        LocalDate today,
        LocalDate day,
        double gpuSecondsOnDay,
        long succeeded,
        long failed,
        long cancelled,
        double gpuSecondsTotal) {
      rollOver(today);
      if (day.equals(today)) {
        gpuSecondsToday += gpuSecondsOnDay;
      }
      this.succeeded += succeeded;
      this.failed += failed;
      this.cancelled += cancelled;
      this.gpuSecondsTotal += gpuSecondsTotal;
    }

    synchronized void refund(LocalDate today, double gpuSeconds) {
      rollOver(today);
      gpuSecondsToday = Math.max(0, gpuSecondsToday - gpuSeconds);
      gpuSecondsTotal = Math.max(0, gpuSecondsTotal - gpuSeconds);
    }

    synchronized void reject(LocalDate today) {
      rollOver(today);
      rejected++;
    }

    synchronized void count(LocalDate today, Outcome outcome) {
      rollOver(today);
      switch (outcome) {
        case SUCCEEDED -> succeeded++;
        case FAILED -> failed++;
        case CANCELLED -> cancelled++;
      }
    }

    synchronized TenantUsage snapshot(LocalDate today) {
      rollOver(today);
      return new TenantUsage(
          startOf(day), gpuSecondsToday, gpuSecondsTotal, succeeded, failed, cancelled, rejected);
    }

    private void rollOver(LocalDate today) {
      // isAfter, not equals: a wall clock stepped back a little must not wipe today's usage.
      if (day == null || today.isAfter(day)) {
        day = today;
        gpuSecondsToday = 0;
      }
    }
  }
}
