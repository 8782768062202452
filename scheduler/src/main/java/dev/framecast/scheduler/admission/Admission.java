package dev.framecast.scheduler.admission;

import dev.framecast.common.errors.AdmissionException;
import dev.framecast.common.errors.GrpcStatusMapper;
import dev.framecast.common.errors.InvalidRequestException;
import dev.framecast.common.errors.PipelineNotAllowedException;
import dev.framecast.common.errors.QuotaExceededException;
import dev.framecast.common.errors.ShuttingDownException;
import dev.framecast.common.errors.UnknownTenantException;
import dev.framecast.scheduler.tenant.TenantPolicy;
import dev.framecast.scheduler.tenant.TenantRegistry;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides whether a submission may be queued, before any work is done for it.
 *
 * <p>Checks run in this order, cheapest and most permanent first, so a client is told the refusal
 * it can least work around: the tenant is configured (PERMISSION_DENIED), the pipeline is allowed
 * (PERMISSION_DENIED), the steps are within the tenant's {@code max_steps} (INVALID_ARGUMENT on
 * {@code steps}), the tenant's queue has room (RESOURCE_EXHAUSTED), its request rate
 * (RESOURCE_EXHAUSTED, retry when the next token is due), its daily GPU-seconds
 * (RESOURCE_EXHAUSTED, retry at UTC midnight). A request refused by an earlier check does not spend
 * a rate token; one refused for the daily quota has spent one, so a client hammering after its
 * budget ran out is throttled as well.
 *
 * <p>{@code max_concurrent_jobs} is not checked: a job beyond it is admitted and waits queued; the
 * scheduler, which owns the running set, starts it when a slot frees. Refusing it would turn a
 * momentary peak into client errors.
 *
 * <p>Thread-safe; called on gRPC threads. {@code queuedJobsOfTenant} is the caller's snapshot, so
 * concurrent submissions of one tenant may overshoot {@code max_queued_jobs} by the number racing;
 * the scheduler loop, which owns the queue, keeps the hard bound.
 */
public final class Admission {

  /**
   * Retry-after for a full queue: jobs take seconds to minutes, so retrying sooner only adds load,
   * and there is no exact time to promise.
   */
  static final Duration QUEUE_FULL_RETRY = Duration.ofSeconds(5);

  private final TenantRegistry tenants;
  private final RateLimiter rateLimiter;
  private final UsageLedger ledger;
  private volatile boolean shuttingDown;

  public Admission(TenantRegistry tenants, RateLimiter rateLimiter, UsageLedger ledger) {
    this.tenants = Objects.requireNonNull(tenants, "tenants");
    this.rateLimiter = Objects.requireNonNull(rateLimiter, "rateLimiter");
    this.ledger = Objects.requireNonNull(ledger, "ledger");
    // Keeps the limiter's memory to configured tenants as the file changes.
    tenants.addListener((previous, current) -> rateLimiter.retainTenants(current.tenants()));
  }

  /**
   * Admits or refuses a submission.
   *
   * @param tenant the verified caller's tenant
   * @param pipeline the pipeline the job will run, with the tenant's default already resolved
   * @param steps the job's step count, with the pipeline default already resolved
   * @param queuedJobsOfTenant the tenant's jobs waiting now (not counting running ones)
   * @throws AdmissionException the refusal, mapped to gRPC by {@link GrpcStatusMapper}
   */
  public void admit(String tenant, String pipeline, int steps, int queuedJobsOfTenant) {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(pipeline, "pipeline");
    if (shuttingDown) {
      throw new ShuttingDownException();
    }
    // Not counted in the ledger: an unknown name must not create an account (bounded memory).
    TenantPolicy policy =
        tenants.policy(tenant).orElseThrow(() -> new UnknownTenantException(tenant));
    try {
      check(policy, pipeline, steps, queuedJobsOfTenant);
    } catch (AdmissionException refused) {
      ledger.recordRejected(tenant);
      throw refused;
    }
  }

  /** From now on every submission is refused with UNAVAILABLE; jobs already queued still run. */
  public void beginShutdown() {
    shuttingDown = true;
  }

  public boolean isShuttingDown() {
    return shuttingDown;
  }

  private void check(TenantPolicy policy, String pipeline, int steps, int queued) {
    String tenant = policy.name();
    if (!policy.allowsPipeline(pipeline)) {
      throw new PipelineNotAllowedException(tenant, pipeline, policy.allowedPipelines());
    }
    if (policy.hasMaxSteps() && steps > policy.maxSteps()) {
      throw InvalidRequestException.of(
          "steps",
          "must be at most " + policy.maxSteps() + " for tenant '" + tenant + "', got " + steps);
    }
    if (queued >= policy.maxQueuedJobs()) {
      throw new QuotaExceededException(
          QuotaExceededException.Limit.MAX_QUEUED_JOBS,
          tenant,
          policy.maxQueuedJobs(),
          QUEUE_FULL_RETRY);
    }
    Optional<Duration> nextToken = rateLimiter.tryAcquire(tenant, policy);
    if (nextToken.isPresent()) {
      throw new QuotaExceededException(
          QuotaExceededException.Limit.REQUESTS_PER_MINUTE,
          tenant,
          policy.requestsPerMinute(),
          nextToken.get());
    }
    QuotaExceededException daily = dailyQuotaExceeded(tenant, policy);
    if (daily != null) {
      throw daily;
    }
  }

  /**
   * The refusal when the tenant has used its GPU-seconds for today, else null: checked at admission
   * and, as GPU-seconds accrue, by the engine ({@code engine.DailyQuota}).
   */
  public QuotaExceededException dailyQuotaExceeded(String tenant) {
    return tenants.policy(tenant).map(p -> dailyQuotaExceeded(tenant, p)).orElse(null);
  }

  private QuotaExceededException dailyQuotaExceeded(String tenant, TenantPolicy policy) {
    if (policy.hasDailyGpuLimit()
        && ledger.usage(tenant).gpuSecondsToday() >= policy.gpuSecondsPerDay()) {
      return new QuotaExceededException(
          QuotaExceededException.Limit.GPU_SECONDS_PER_DAY,
          tenant,
          policy.gpuSecondsPerDay(),
          ledger.untilWindowEnd());
    }
    return null;
  }
}
