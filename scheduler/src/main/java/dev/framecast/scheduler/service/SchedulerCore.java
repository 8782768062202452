package dev.framecast.scheduler.service;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.api.v1.ListJobsRequest;
import dev.framecast.api.v1.ListJobsResponse;
import dev.framecast.api.v1.ListModelsResponse;
import dev.framecast.api.v1.Usage;
import dev.framecast.common.Caller;
import dev.framecast.common.errors.AdmissionException;
import dev.framecast.common.errors.FailedPreconditionException;
import dev.framecast.common.errors.InvalidRequestException;
import dev.framecast.common.errors.NotFoundException;
import dev.framecast.common.errors.PermissionDeniedException;
import dev.framecast.common.errors.UnknownTenantException;
import dev.framecast.common.events.EventLogPublisher;
import dev.framecast.scheduler.admission.Admission;
import dev.framecast.scheduler.admission.UsageLedger;
import dev.framecast.scheduler.engine.ClipStore;
import dev.framecast.scheduler.engine.Engine;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.metrics.SchedulerMetrics;
import dev.framecast.scheduler.pipeline.Pipeline;
import dev.framecast.scheduler.tenant.TenantPolicy;
import dev.framecast.scheduler.tenant.TenantRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;

/**
 * What the scheduler offers a caller whose identity the gateway verified: submit (validation,
 * admission, queueing), jobs of the caller's tenant only (another tenant's job is NOT_FOUND), event
 * streams, cancel, usage, pipelines and clips. Used in-process by the gateway's embedded mode and
 * by the gRPC service in a distributed deployment.
 */
public final class SchedulerCore {
  /** The label of rejections for tenant names no tenant has. */
  public static final String UNKNOWN_TENANT_LABEL = "(unknown)";

  static final int DEFAULT_PAGE = 50;
  static final int MAX_PAGE = 500;
  static final Duration IDEMPOTENCY_WINDOW = Duration.ofHours(24);

  private final Engine engine;
  private final TenantRegistry tenants;
  private final Admission admission;
  private final UsageLedger ledger;
  private final ClipStore clips;
  private final RequestNormalizer normalizer;
  private final Executor streamExecutor;
  private final SchedulerMetrics metrics;
  private final java.util.Map<String, Object> tenantLocks =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final IdempotencyKeys idempotency;

  public SchedulerCore(
      Engine engine,
      TenantRegistry tenants,
      Admission admission,
      UsageLedger ledger,
      ClipStore clips,
      Executor streamExecutor,
      SchedulerMetrics metrics) {
    this(
        engine,
        tenants,
        admission,
        ledger,
        clips,
        streamExecutor,
        metrics,
        new IdempotencyKeys(Clock.systemUTC(), IDEMPOTENCY_WINDOW, engine.maxJobs()));
  }

  SchedulerCore(
      Engine engine,
      TenantRegistry tenants,
      Admission admission,
      UsageLedger ledger,
      ClipStore clips,
      Executor streamExecutor,
      SchedulerMetrics metrics,
      IdempotencyKeys idempotency) {
    this.idempotency = idempotency;
    this.metrics = metrics;
    this.engine = engine;
    this.tenants = tenants;
    this.admission = admission;
    this.ledger = ledger;
    this.clips = clips;
    this.streamExecutor = streamExecutor;
    SecureRandom random = new SecureRandom();
    this.normalizer = new RequestNormalizer(engine.pipelines(), random::nextLong);
  }

  /**
   * Validates, admits and queues a job. With an idempotency key, a repeat of the same request by
   * the same tenant within 24 hours returns the original job (admission is not charged twice); the
   * same key with a different request is INVALID_ARGUMENT.
   */
  public dev.framecast.api.v1.Job submit(Caller caller, GenerateRequest request) {
    String tenant = caller.tenant();
    try {
      policy(tenant);
      GenerateRequest normalized = normalizer.normalize(request);
      String key = request.getIdempotencyKey();
      // Admission and queueing are one step per tenant, so concurrent submissions cannot
      // overshoot max_queued_jobs, and two retries with one key cannot both create a job.
      synchronized (tenantLocks.computeIfAbsent(tenant, t -> new Object())) {
        if (!key.isEmpty()) {
          Optional<IdempotencyKeys.Entry> earlier = idempotency.find(tenant, key);
          if (earlier.isPresent()) {
            return replay(earlier.get(), request);
          }
        }
        admission.admit(
            tenant, normalized.getModel(), normalized.getSteps(), engine.waiting(tenant));
        Job job = engine.submit(tenant, dev.framecast.scheduler.job.JobSpec.of(normalized));
        if (!key.isEmpty()) {
          idempotency.remember(tenant, key, job.id(), request);
        }
        metrics.admitted(tenant);
        return job.toProto();
      }
    } catch (AdmissionException e) {
      // A name no tenant has is counted under one label: callers choose it, and each new label
      // value would be a new series kept for the life of the process.
      String label =
          e instanceof dev.framecast.common.errors.UnknownTenantException
              ? UNKNOWN_TENANT_LABEL
              : tenant;
      metrics.rejected(label, e.getClass().getSimpleName().replace("Exception", ""));
      throw e;
    }
  }

  private dev.framecast.api.v1.Job replay(IdempotencyKeys.Entry earlier, GenerateRequest request) {
    if (!IdempotencyKeys.sameRequest(earlier, request)) {
      throw new InvalidRequestException(
          List.of(
              new InvalidRequestException.FieldViolation(
                  "idempotency_key",
                  "this idempotency_key was used within 24 hours for a different request (job "
                      + earlier.jobId()
                      + "); use a new key for a new request")));
    }
    return engine
        .job(earlier.jobId())
        .map(Job::toProto)
        .orElseThrow(
            () ->
                new FailedPreconditionException(
                    "IDEMPOTENT_JOB_FORGOTTEN",
                    "job:" + earlier.jobId(),
                    "the job this idempotency_key created ("
                        + earlier.jobId()
                        + ") has ended and is no longer retained"));
  }

  /** The caller's job; NOT_FOUND for unknown ids and for other tenants' jobs alike. */
  public Job owned(Caller caller, String jobId) {
    policy(caller.tenant());
    return engine
        .job(jobId)
        .filter(job -> job.tenant().equals(caller.tenant()))
        .orElseThrow(() -> NotFoundException.job(jobId));
  }

  public dev.framecast.api.v1.Job get(Caller caller, String jobId) {
    return owned(caller, jobId).toProto();
  }

  /**
   * The job's events after {@code afterSeq}, then live until it ends, emitted only as fast as the
   * subscriber asks. Unknown and foreign jobs fail here, before anything is streamed.
   */
  public Flow.Publisher<JobEvent> events(Caller caller, String jobId, long afterSeq) {
    Job job = owned(caller, jobId);
    return new EventLogPublisher(job.events(), afterSeq, streamExecutor);
  }

  public dev.framecast.api.v1.Job cancel(Caller caller, String jobId, String reason) {
    Job job = owned(caller, jobId);
    engine.cancel(job.id(), reason.isEmpty() ? "cancelled by " + caller.subject() : reason);
    return job.toProto();
  }

  /**
   * Newest first; the page token is the last job's id (keyset pagination: stable under inserts).
   */
  public ListJobsResponse list(Caller caller, ListJobsRequest request) {
    policy(caller.tenant());
    // uint32 on the wire: a client's -1 arrives as 4294967295, a negative int here.
    if (Integer.toUnsignedLong(request.getPageSize()) > MAX_PAGE) {
      throw InvalidRequestException.of(
          "page_size",
          "page_size must be at most "
              + MAX_PAGE
              + ", got "
              + Integer.toUnsignedString(request.getPageSize()));
    }
    int size = request.getPageSize() == 0 ? DEFAULT_PAGE : request.getPageSize();
    Set<JobState> states = Set.copyOf(request.getStatesList());
    List<Job> jobs = engine.jobs(caller.tenant());
    int start = 0;
    if (!request.getPageToken().isEmpty()) {
      String after = decodeToken(request.getPageToken());
      start = -1;
      for (int i = 0; i < jobs.size(); i++) {
        if (jobs.get(i).id().equals(after)) {
          start = i + 1;
          break;
        }
      }
      if (start < 0) {
        throw InvalidRequestException.of("page_token", "page_token is not valid");
      }
    }
    ListJobsResponse.Builder response = ListJobsResponse.newBuilder();
    int i = start;
    for (; i < jobs.size() && response.getJobsCount() < size; i++) {
      dev.framecast.api.v1.Job job = jobs.get(i).toProto();
      if (states.isEmpty() || states.contains(job.getState())) {
        response.addJobs(job);
      }
    }
    if (i < jobs.size() && response.getJobsCount() > 0) {
      String last = response.getJobs(response.getJobsCount() - 1).getId();
      response.setNextPageToken(
          Base64.getUrlEncoder()
              .withoutPadding()
              .encodeToString(last.getBytes(StandardCharsets.UTF_8)));
    }
    return response.build();
  }

  private static String decodeToken(String token) {
    try {
      return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw InvalidRequestException.of("page_token", "page_token is not valid");
    }
  }

  /** The caller's usage; another tenant's needs the admin role. */
  public Usage usage(Caller caller, String tenant) {
    String target = tenant.isEmpty() ? caller.tenant() : tenant;
    if (!target.equals(caller.tenant()) && !caller.admin()) {
      throw new PermissionDeniedException(
          "ADMIN_ROLE_REQUIRED", "reading another tenant's usage needs the framecast-admin role");
    }
    TenantPolicy policy = policy(target);
    return ledger.toUsageProto(target, policy, engine.running(target), engine.waiting(target));
  }

  /** The pipelines the caller's tenant may use. */
  public ListModelsResponse pipelines(Caller caller) {
    TenantPolicy policy = policy(caller.tenant());
    ListModelsResponse.Builder response = ListModelsResponse.newBuilder();
    for (Pipeline pipeline : engine.pipelines().values()) {
      if (policy.allowsPipeline(pipeline.name())) {
        response.addModels(pipeline.toModelInfo());
      }
    }
    return response.build();
  }

  /** The finished clip of the caller's job. */
  public Optional<byte[]> clip(Caller caller, String jobId) throws IOException {
    Job job = owned(caller, jobId);
    if (job.toProto().getState() != JobState.SUCCEEDED) {
      throw new FailedPreconditionException(
          "JOB_STATE",
          "job:" + jobId,
          "job '" + jobId + "' has no clip: it is " + job.toProto().getState());
    }
    return clips.get(job.tenant(), job.id());
  }

  private TenantPolicy policy(String tenant) {
    return tenants.policy(tenant).orElseThrow(() -> new UnknownTenantException(tenant));
  }
}
