package dev.framecast.scheduler.service;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.api.v1.ListJobsRequest;
import dev.framecast.api.v1.ListJobsResponse;
import dev.framecast.api.v1.ListModelsResponse;
import dev.framecast.api.v1.Priority;
import dev.framecast.api.v1.Usage;
import dev.framecast.common.Caller;
import dev.framecast.common.errors.AdmissionException;
import dev.framecast.common.errors.FailedPreconditionException;
import dev.framecast.common.errors.InvalidRequestException;
import dev.framecast.common.errors.NotFoundException;
import dev.framecast.common.errors.OverloadedException;
import dev.framecast.common.errors.PermissionDeniedException;
import dev.framecast.common.errors.QuotaExceededException;
import dev.framecast.common.errors.UnknownTenantException;
import dev.framecast.common.events.EventLog;
import dev.framecast.common.events.EventLogPublisher;
import dev.framecast.scheduler.admission.Admission;
import dev.framecast.scheduler.admission.RateLimiter;
import dev.framecast.scheduler.admission.UsageLedger;
import dev.framecast.scheduler.engine.ClipStore;
import dev.framecast.scheduler.engine.Engine;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobRecord;
import dev.framecast.scheduler.job.JobSpec;
import dev.framecast.scheduler.metrics.SchedulerMetrics;
import dev.framecast.scheduler.pipeline.Pipeline;
import dev.framecast.scheduler.store.JobStore;
import dev.framecast.scheduler.tenant.TenantPolicy;
import dev.framecast.scheduler.tenant.TenantRegistry;
import dev.framecast.scheduler.webhook.Webhooks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

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

  /** How long a submission waits for the job store to commit its record. */
  static final Duration STORE_ACK_TIMEOUT = Duration.ofSeconds(10);

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
  private final JobStore store;
  private final Webhooks webhooks;
  private final Clock clock = Clock.systemUTC();

  public SchedulerCore(
      Engine engine,
      TenantRegistry tenants,
      Admission admission,
      UsageLedger ledger,
      ClipStore clips,
      Executor streamExecutor,
      SchedulerMetrics metrics) {
    this(engine, tenants, admission, ledger, clips, streamExecutor, metrics, null);
  }

  /**
   * @param store the durable job store, or null: with one, a submission is acknowledged once its
   *     record is committed, and jobs no longer held in memory are read from it
   */
  public SchedulerCore(
      Engine engine,
      TenantRegistry tenants,
      Admission admission,
      UsageLedger ledger,
      ClipStore clips,
      Executor streamExecutor,
      SchedulerMetrics metrics,
      JobStore store) {
    this(engine, tenants, admission, ledger, clips, streamExecutor, metrics, store, null);
  }

  /**
   * @param store the durable job store, or null
   * @param webhooks completion callbacks, or null: then a request naming a webhook_url is refused
   */
  public SchedulerCore(
      Engine engine,
      TenantRegistry tenants,
      Admission admission,
      UsageLedger ledger,
      ClipStore clips,
      Executor streamExecutor,
      SchedulerMetrics metrics,
      JobStore store,
      Webhooks webhooks) {
    this(
        engine,
        tenants,
        admission,
        ledger,
        clips,
        streamExecutor,
        metrics,
        new IdempotencyKeys(Clock.systemUTC(), IDEMPOTENCY_WINDOW, engine.maxJobs()),
        store,
        webhooks);
  }

  SchedulerCore(
      Engine engine,
      TenantRegistry tenants,
      Admission admission,
      UsageLedger ledger,
      ClipStore clips,
      Executor streamExecutor,
      SchedulerMetrics metrics,
      IdempotencyKeys idempotency,
      JobStore store,
      Webhooks webhooks) {
    this.webhooks = webhooks;
    this.idempotency = idempotency;
    this.store = store;
    this.metrics = metrics;
    this.engine = engine;
    this.tenants = tenants;
    this.admission = admission;
    this.ledger = ledger;
    this.clips = clips;
    this.streamExecutor = streamExecutor;
    SecureRandom random = new SecureRandom();
    this.normalizer = new RequestNormalizer(engine.pipelines(), random::nextLong);
    tenants.addListener((previous, current) -> reads.retainTenants(current.tenants()));
  }

  /** Reads per tenant (GetJob, ListJobs, WatchJob, GetClip): a bucket apart from submissions. */
  private final RateLimiter reads = new RateLimiter();

  /**
   * Charges one read to the caller's tenant; past its {@code reads_per_minute} (after {@code
   * read_burst} back to back) RESOURCE_EXHAUSTED with RetryInfo and QuotaFailure, so a client
   * polling in a tight loop cannot load the scheduler for everyone.
   */
  private TenantPolicy read(Caller caller) {
    TenantPolicy policy = policy(caller.tenant());
    Optional<Duration> wait =
        reads.tryAcquire(caller.tenant(), policy.readsPerMinute(), policy.readBurst());
    if (wait.isPresent()) {
      throw new QuotaExceededException(
          QuotaExceededException.Limit.READS_PER_MINUTE,
          caller.tenant(),
          policy.readsPerMinute(),
          wait.get());
    }
    return policy;
  }

  /**
   * Validates, admits and queues a job. With an idempotency key, a repeat of the same request by
   * the same tenant within 24 hours returns the original job (admission is not charged twice); the
   * same key with a different request is INVALID_ARGUMENT.
   */
  public dev.framecast.api.v1.Job submit(Caller caller, GenerateRequest request) {
    String tenant = caller.tenant();
    Engine.Admitted admitted;
    String key = request.getIdempotencyKey();
    try {
      TenantPolicy policy = policy(tenant);
      GenerateRequest normalized = normalizer.normalize(prioritized(policy, request));
      if (!normalized.getWebhookUrl().isEmpty()) {
        if (webhooks == null) {
          throw InvalidRequestException.of(
              "webhook_url", "this scheduler delivers no webhooks; leave webhook_url empty");
        }
        webhooks.validate(policy, normalized.getWebhookUrl());
      }
      // Admission and queueing are one step per tenant, so concurrent submissions cannot
      // overshoot max_queued_jobs, and two retries with one key cannot both create a job.
      synchronized (tenantLock(tenant)) {
        if (!key.isEmpty()) {
          Optional<IdempotencyKeys.Entry> earlier =
              idempotency.find(tenant, key).or(() -> storedKey(tenant, key));
          if (earlier.isPresent()) {
            return replay(earlier.get(), request);
          }
        }
        admission.admit(
            tenant, normalized.getModel(), normalized.getSteps(), engine.waiting(tenant));
        admitted =
            engine.admit(
                tenant,
                JobSpec.of(normalized),
                key.isEmpty() ? null : IdempotencyKeys.fingerprint(request));
        if (!key.isEmpty()) {
          idempotency.remember(tenant, key, admitted.job().id(), request);
        }
        metrics.admitted(tenant);
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
    awaitStored(tenant, key, admitted);
    return published(admitted.job().toProto());
  }

  /**
   * The request with its priority class resolved by the tenant's policy: none named means the
   * tenant's default_priority; a class the tenant may not use is PERMISSION_DENIED, so a tenant
   * cannot make its work interactive (and preempt others' batch work) unless its policy says so.
   */
  private static GenerateRequest prioritized(TenantPolicy policy, GenerateRequest request) {
    Priority asked = request.getPriority();
    if (asked == Priority.UNRECOGNIZED) {
      return request; // the normalizer names the field
    }
    if (asked == Priority.PRIORITY_UNSPECIFIED) {
      return request.toBuilder().setPriority(policy.defaultPriority()).build();
    }
    if (!policy.priorities().contains(asked)) {
      throw new PermissionDeniedException(
          "PRIORITY_NOT_ALLOWED",
          "tenant '"
              + policy.name()
              + "' may submit "
              + policy.priorities().stream().map(TenantPolicy::yamlName).toList()
              + " work only, not "
              + TenantPolicy.yamlName(asked));
    }
    return request;
  }

  private Object tenantLock(String tenant) {
    return tenantLocks.computeIfAbsent(tenant, t -> new Object());
  }

  /**
   * Waits (on the caller's thread, outside the tenant's lock, so commits of many submissions are
   * grouped) until the job's record is committed. If it is not, the job is cancelled and its key
   * forgotten, so a retry creates it afresh; the caller gets UNAVAILABLE.
   */
  private void awaitStored(String tenant, String key, Engine.Admitted admitted) {
    Job job = admitted.job();
    Throwable failure;
    try {
      admitted.stored().get(STORE_ACK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure = e;
    } catch (ExecutionException | TimeoutException e) {
      failure = e;
    }
    if (!key.isEmpty()) {
      synchronized (tenantLock(tenant)) {
        idempotency.forget(tenant, key, job.id());
      }
    }
    try {
      engine.cancel(job.id(), "the job store did not confirm the job");
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
    }
    throw new OverloadedException(
        "the job store did not confirm the job within "
            + STORE_ACK_TIMEOUT.toSeconds()
            + " s; it was not created, retry",
        Duration.ofSeconds(1));
  }

  private Optional<IdempotencyKeys.Entry> storedKey(String tenant, String key) {
    if (store == null) {
      return Optional.empty();
    }
    return store
        .idempotencyKey(tenant, key, clock.instant().minus(IDEMPOTENCY_WINDOW))
        .map(k -> new IdempotencyKeys.Entry(k.jobId(), k.request(), k.created()));
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
        .or(() -> stored(earlier.jobId()).map(r -> r.toProto(0)))
        .map(this::published)
        .orElseThrow(
            () ->
                new FailedPreconditionException(
                    "IDEMPOTENT_JOB_FORGOTTEN",
                    "job:" + earlier.jobId(),
                    "the job this idempotency_key created ("
                        + earlier.jobId()
                        + ") has ended and is no longer retained"));
  }

  private Optional<JobRecord> stored(String jobId) {
    return store == null ? Optional.empty() : store.job(jobId);
  }

  /** The caller's job held in memory; NOT_FOUND for unknown ids and other tenants' jobs alike. */
  public Job owned(Caller caller, String jobId) {
    policy(caller.tenant());
    return engine
        .job(jobId)
        .filter(job -> job.tenant().equals(caller.tenant()))
        .orElseThrow(() -> NotFoundException.job(jobId));
  }

  /**
   * The caller's job: in memory, or else (with a job store) as stored; NOT_FOUND for unknown ids
   * and other tenants' jobs alike.
   */
  private Either find(Caller caller, String jobId) {
    policy(caller.tenant());
    Optional<Job> live = engine.job(jobId);
    if (live.isPresent()) {
      if (!live.get().tenant().equals(caller.tenant())) {
        throw NotFoundException.job(jobId);
      }
      return new Either(live.get(), null);
    }
    return stored(jobId)
        .filter(r -> r.tenant().equals(caller.tenant()))
        .map(r -> new Either(null, r))
        .orElseThrow(() -> NotFoundException.job(jobId));
  }

  /** A job held in memory, or one read back from the store. */
  private record Either(Job live, JobRecord stored) {
    dev.framecast.api.v1.Job toProto() {
      return live != null ? live.toProto() : stored.toProto(0);
    }

    String tenant() {
      return live != null ? live.tenant() : stored.tenant();
    }
  }

  public dev.framecast.api.v1.Job get(Caller caller, String jobId) {
    read(caller);
    return published(find(caller, jobId).toProto());
  }

  /** The job as callers see it: with the time its files expire once it has ended. */
  private dev.framecast.api.v1.Job published(dev.framecast.api.v1.Job job) {
    Optional<Duration> retention = clips.retention();
    if (!job.hasFinishedTime() || retention.isEmpty()) {
      return job;
    }
    com.google.protobuf.Timestamp finished = job.getFinishedTime();
    java.time.Instant expires =
        java.time.Instant.ofEpochSecond(finished.getSeconds(), finished.getNanos())
            .plus(retention.get());
    return job.toBuilder()
        .setExpireTime(
            com.google.protobuf.Timestamp.newBuilder()
                .setSeconds(expires.getEpochSecond())
                .setNanos(expires.getNano()))
        .build();
  }

  /**
   * The job's events after {@code afterSeq}, then live until it ends, emitted only as fast as the
   * subscriber asks. Unknown and foreign jobs fail here, before anything is streamed. A job no
   * longer held in memory is replayed from the store, its frames and clip from the clip store.
   */
  public Flow.Publisher<JobEvent> events(Caller caller, String jobId, long afterSeq) {
    TenantPolicy policy = read(caller);
    Either job = find(caller, jobId);
    AtomicInteger open = openStreams.computeIfAbsent(caller.tenant(), t -> new AtomicInteger());
    if (open.get() >= policy.maxOpenStreams()) {
      throw new QuotaExceededException(
          QuotaExceededException.Limit.MAX_OPEN_STREAMS,
          caller.tenant(),
          policy.maxOpenStreams(),
          STREAM_RETRY);
    }
    return CountedStream.of(unbounded(job, jobId, afterSeq), open);
  }

  /** Open event streams per tenant: counted from subscription to end, bounded by policy. */
  private final Map<String, AtomicInteger> openStreams = new ConcurrentHashMap<>();

  /** How soon a tenant at its stream bound may try again. */
  private static final Duration STREAM_RETRY = Duration.ofSeconds(1);

  /** Event streams the tenant holds open now. */
  public int openStreams(String tenant) {
    AtomicInteger open = openStreams.get(tenant);
    return open == null ? 0 : open.get();
  }

  private Flow.Publisher<JobEvent> unbounded(Either job, String jobId, long afterSeq) {
    if (job.live() != null) {
      return new EventLogPublisher(job.live().events(), afterSeq, streamExecutor);
    }
    List<JobEvent> history = store.events(jobId);
    byte[] clip = null;
    List<byte[]> frames = null;
    boolean blobs = history.stream().anyMatch(e -> e.hasClipChunk() || e.hasFrame());
    if (blobs) {
      try {
        clip = clips.get(job.tenant(), jobId).orElse(null);
        frames = clips.frames(job.tenant(), jobId).orElse(null);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("reading the clip of job " + jobId, e);
      }
    }
    return new EventLogPublisher(
        EventLog.replay(jobId, JobStore.rehydrate(history, clip, frames)),
        afterSeq,
        streamExecutor);
  }

  public dev.framecast.api.v1.Job cancel(Caller caller, String jobId, String reason) {
    Either job = find(caller, jobId);
    if (job.live() != null) {
      engine.cancel(jobId, reason.isEmpty() ? "cancelled by " + caller.subject() : reason);
    }
    // One only in the store has ended: cancelling it changes nothing.
    return published(job.toProto());
  }

  /** How long a delete waits for a job it cancelled to end and be stored as ended. */
  static final Duration DELETE_WAIT = Duration.ofSeconds(5);

  /**
   * Deletes the caller's job: its record, events and idempotency keys, its clip and images. A job
   * that has not ended is cancelled first (at its next step boundary) and deleted once it has
   * ended; FAILED_PRECONDITION when that takes longer than {@link #DELETE_WAIT}. Returns the job as
   * it was; its GPU-seconds stay in the tenant's usage.
   */
  public dev.framecast.api.v1.Job delete(Caller caller, String jobId) throws IOException {
    Either job = find(caller, jobId);
    if (job.live() != null && !job.live().phase().isTerminal()) {
      engine.cancel(jobId, "deleted by " + caller.subject());
    }
    long deadline = System.nanoTime() + DELETE_WAIT.toNanos();
    while (!deletable(job)) {
      if (System.nanoTime() > deadline) {
        throw new FailedPreconditionException(
            "JOB_STATE",
            "job:" + jobId,
            "job '" + jobId + "' was cancelled but has not ended yet; retry the delete");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new OverloadedException("interrupted while deleting; retry", Duration.ofSeconds(1));
      }
    }
    dev.framecast.api.v1.Job last =
        published(job.live() != null ? job.live().toProto() : job.toProto());
    // The record first: once it is gone no reader finds the job, then its files.
    if (store != null) {
      store.delete(jobId);
    }
    // An ended job stays held until the loop's pass that ended it is over: forget it once it is.
    while (!engine.forget(jobId) && engine.job(jobId).isPresent()) {
      if (System.nanoTime() > deadline) {
        throw new FailedPreconditionException(
            "JOB_STATE",
            "job:" + jobId,
            "job '" + jobId + "' has ended but is still being released; retry the delete");
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new OverloadedException("interrupted while deleting; retry", Duration.ofSeconds(1));
      }
    }
    // Its idempotency key goes with it (the store's went in the same transaction): the key then
    // makes a new job, here and after a restart alike.
    String key = last.getRequest().getIdempotencyKey();
    if (!key.isEmpty()) {
      synchronized (tenantLock(job.tenant())) {
        idempotency.forget(job.tenant(), key, jobId);
      }
    }
    clips.delete(job.tenant(), jobId);
    metrics.deleted(job.tenant());
    return last;
  }

  /** Ended, and (with a store) stored as ended, so no later write brings the record back. */
  private boolean deletable(Either job) {
    if (job.live() == null) {
      return true; // read from the store, where only ended jobs are no longer held
    }
    if (!job.live().phase().isTerminal()) {
      return false;
    }
    return store == null || stored(job.live().id()).map(r -> r.phase().isTerminal()).orElse(true);
  }

  /**
   * Newest first; the page token is the last job's id (keyset pagination: stable under inserts).
   */
  public ListJobsResponse list(Caller caller, ListJobsRequest request) {
    read(caller);
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
    boolean oldestFirst = request.getOldestFirst();
    if (!request.getAfterJobId().isEmpty() && !request.getPageToken().isEmpty()) {
      throw InvalidRequestException.of("after_job_id", "give page_token or after_job_id, not both");
    }
    String cursorField = request.getAfterJobId().isEmpty() ? "page_token" : "after_job_id";
    String after =
        !request.getAfterJobId().isEmpty()
            ? request.getAfterJobId()
            : request.getPageToken().isEmpty() ? null : decodeToken(request.getPageToken());
    ListJobsResponse.Builder response = ListJobsResponse.newBuilder();
    boolean more =
        store == null
            ? listHeld(caller, after, cursorField, size, states, oldestFirst, response)
            : listStored(caller, after, cursorField, size, states, oldestFirst, response);
    if (more && response.getJobsCount() > 0) {
      String last = response.getJobs(response.getJobsCount() - 1).getId();
      response.setNextPageToken(
          Base64.getUrlEncoder()
              .withoutPadding()
              .encodeToString(last.getBytes(StandardCharsets.UTF_8)));
    }
    return response.build();
  }

  /** Lists from the jobs held in memory; true when jobs remain after the page. */
  private boolean listHeld(
      Caller caller,
      String after,
      String cursorField,
      int size,
      Set<JobState> states,
      boolean oldestFirst,
      ListJobsResponse.Builder response) {
    java.util.NavigableSet<Job> newestFirst = engine.jobs(caller.tenant());
    java.util.NavigableSet<Job> jobs = oldestFirst ? newestFirst.descendingSet() : newestFirst;
    java.util.SortedSet<Job> from = jobs;
    if (after != null) {
      Job anchor =
          engine
              .job(after)
              .filter(j -> j.tenant().equals(caller.tenant()))
              .orElseThrow(() -> invalidCursor(cursorField));
      from = jobs.tailSet(anchor, false);
    }
    java.util.Iterator<Job> it = from.iterator();
    while (it.hasNext() && response.getJobsCount() < size) {
      dev.framecast.api.v1.Job job = it.next().toProto();
      if (states.isEmpty() || states.contains(job.getState())) {
        response.addJobs(published(job));
      }
    }
    return it.hasNext();
  }

  /**
   * Lists from the store (every acknowledged job is there), each shown as held in memory when it is
   * (its state is fresher); true when jobs remain after the page.
   */
  private boolean listStored(
      Caller caller,
      String after,
      String cursorField,
      int size,
      Set<JobState> states,
      boolean oldestFirst,
      ListJobsResponse.Builder response) {
    if (after != null && stored(after).filter(r -> r.tenant().equals(caller.tenant())).isEmpty()) {
      throw invalidCursor(cursorField);
    }
    String cursor = after;
    while (true) {
      List<JobRecord> page = store.page(caller.tenant(), cursor, size, oldestFirst);
      for (int i = 0; i < page.size(); i++) {
        JobRecord record = page.get(i);
        dev.framecast.api.v1.Job job =
            engine.job(record.id()).map(Job::toProto).orElseGet(() -> record.toProto(0));
        if (states.isEmpty() || states.contains(job.getState())) {
          response.addJobs(published(job));
          if (response.getJobsCount() == size) {
            return i < page.size() - 1
                || !store.page(caller.tenant(), record.id(), 1, oldestFirst).isEmpty();
          }
        }
      }
      if (page.size() < size) {
        return false;
      }
      cursor = page.get(page.size() - 1).id();
    }
  }

  private static InvalidRequestException invalidCursor(String field) {
    return InvalidRequestException.of(
        field,
        field.equals("page_token")
            ? "page_token is not valid"
            : "after_job_id names no job of this tenant");
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

  /** The finished clip of the caller's job, whole (the asset {@link ClipStore.Asset#VIDEO}). */
  public Optional<byte[]> clip(Caller caller, String jobId) throws IOException {
    ClipStore.Blob clip = content(caller, jobId, ClipStore.Asset.VIDEO);
    try (java.io.InputStream in = clip.open(0, clip.size())) {
      return Optional.of(in.readAllBytes());
    }
  }

  /**
   * One of the caller's finished job's assets (the video, its thumbnail or its sprite sheet):
   * FAILED_PRECONDITION before the job has succeeded, NOT_FOUND when the asset is gone (expired,
   * deleted, or a thumbnail of a clip made before thumbnails were).
   */
  public ClipStore.Blob content(Caller caller, String jobId, ClipStore.Asset asset)
      throws IOException {
    read(caller);
    Either job = find(caller, jobId);
    JobState state = job.toProto().getState();
    if (state != JobState.SUCCEEDED) {
      throw new FailedPreconditionException(
          "JOB_STATE",
          "job:" + jobId,
          "job '" + jobId + "' has no " + asset.variant() + ": it is " + state);
    }
    return clips
        .open(job.tenant(), jobId, asset)
        .orElseThrow(
            () ->
                asset == ClipStore.Asset.VIDEO
                    ? NotFoundException.clip(jobId)
                    : NotFoundException.asset(jobId, asset.variant()));
  }

  /** The asset a Videos API variant names; INVALID_ARGUMENT naming {@code variant} otherwise. */
  public static ClipStore.Asset asset(String variant) {
    return ClipStore.Asset.ofVariant(variant)
        .orElseThrow(
            () ->
                InvalidRequestException.of(
                    "variant",
                    "variant must be one of video, thumbnail, spritesheet, got '"
                        + (variant.length() > 32 ? variant.substring(0, 32) + "..." : variant)
                        + "'"));
  }

  private TenantPolicy policy(String tenant) {
    return tenants.policy(tenant).orElseThrow(() -> new UnknownTenantException(tenant));
  }
}
