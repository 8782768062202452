package dev.framecast.gateway.bench;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobState;
import dev.framecast.api.v1.ListJobsRequest;
import dev.framecast.api.v1.ListJobsResponse;
import dev.framecast.common.Caller;
import dev.framecast.common.errors.InvalidRequestException;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@link SimulatedBackend}'s jobs: by id, by tenant (newest first) and by idempotency key,
 * bounded (past max-jobs the oldest finished job is forgotten; with none finished, a submission is
 * RESOURCE_EXHAUSTED), with each tenant's count of ended jobs. Lookups are lock-free; admission and
 * forgetting hold one lock so that the bound and the idempotency keys stay exact.
 */
final class SimulatedBackendJobs {
  static final int DEFAULT_PAGE = 50;
  static final int MAX_PAGE = 500;

  private final int maxJobs;
  private final long maxEventBytes;
  private final Map<String, SimulatedBackendJob> jobs = new ConcurrentHashMap<>();
  private final Map<String, ConcurrentSkipListMap<Long, SimulatedBackendJob>> byTenant =
      new ConcurrentHashMap<>();
  private final Map<String, String> idempotency = new ConcurrentHashMap<>();
  private final Map<String, Counts> counts = new ConcurrentHashMap<>();
  private final AtomicLong sequence = new AtomicLong();
  private final Object admission = new Object();

  SimulatedBackendJobs(int maxJobs, long maxEventBytes) {
    this.maxJobs = maxJobs;
    this.maxEventBytes = maxEventBytes;
  }

  /**
   * A new job for the caller's tenant, or the one an earlier request with the same idempotency key
   * made ({@code fresh} false); the same key with a different request is INVALID_ARGUMENT.
   */
  Admitted admit(Caller caller, GenerateRequest request, GenerateRequest admitted, Instant now) {
    String key = request.getIdempotencyKey();
    synchronized (admission) {
      if (!key.isEmpty()) {
        SimulatedBackendJob earlier = byId(idempotency.get(caller.tenant() + '\0' + key));
        if (earlier != null) {
          if (!earlier.original.equals(request)) {
            throw InvalidRequestException.of(
                "idempotency_key",
                "this idempotency_key was used for a different request (job "
                    + earlier.id
                    + "); use a new key for a new request");
          }
          return new Admitted(earlier, false);
        }
      }
      if (jobs.size() >= maxJobs && !forgetOldestFinished()) {
        throw Status.RESOURCE_EXHAUSTED
            .withDescription(
                "the simulated backend holds framecast.simulated.max-jobs="
                    + maxJobs
                    + " unfinished jobs")
            .asRuntimeException();
      }
      Counts ended = counts(caller.tenant());
      SimulatedBackendJob job =
          new SimulatedBackendJob(
              UUID.randomUUID().toString(),
              caller.tenant(),
              sequence.incrementAndGet(),
              request,
              admitted,
              now,
              maxEventBytes,
              ended::ended);
      jobs.put(job.id, job);
      byTenant
          .computeIfAbsent(job.tenant, t -> new ConcurrentSkipListMap<>(Comparator.reverseOrder()))
          .put(job.sequence, job);
      if (!key.isEmpty()) {
        idempotency.put(job.tenant + '\0' + key, job.id);
      }
      return new Admitted(job, true);
    }
  }

  /** A job and whether this request made it. */
  record Admitted(SimulatedBackendJob job, boolean fresh) {}

  /** The caller's job; NOT_FOUND for unknown ids and other tenants' jobs alike. */
  SimulatedBackendJob owned(Caller caller, String jobId) {
    SimulatedBackendJob job = byId(jobId);
    if (job == null || !job.tenant.equals(caller.tenant())) {
      throw Status.NOT_FOUND.withDescription("job '" + jobId + "' not found").asRuntimeException();
    }
    return job;
  }

  private SimulatedBackendJob byId(String id) {
    return id == null ? null : jobs.get(id);
  }

  /** Newest first; the page token is the last job's id, as with the scheduler. */
  ListJobsResponse list(Caller caller, ListJobsRequest request, int clipBytes) {
    // uint32 on the wire: a client's -1 arrives as 4294967295, a negative int here.
    if (Integer.toUnsignedLong(request.getPageSize()) > MAX_PAGE) {
      throw Status.INVALID_ARGUMENT
          .withDescription(
              "page_size must be at most "
                  + MAX_PAGE
                  + ", got "
                  + Integer.toUnsignedString(request.getPageSize()))
          .asRuntimeException();
    }
    int size = request.getPageSize() == 0 ? DEFAULT_PAGE : request.getPageSize();
    Set<JobState> states = Set.copyOf(request.getStatesList());
    Map<Long, SimulatedBackendJob> page = of(caller.tenant());
    if (!request.getPageToken().isEmpty()) {
      SimulatedBackendJob after = byId(decodeToken(request.getPageToken()));
      if (after == null || !after.tenant.equals(caller.tenant())) {
        throw Status.INVALID_ARGUMENT
            .withDescription("page_token is not valid")
            .asRuntimeException();
      }
      page = of(caller.tenant()).tailMap(after.sequence, false);
    }
    ListJobsResponse.Builder response = ListJobsResponse.newBuilder();
    boolean more = false;
    for (SimulatedBackendJob job : page.values()) {
      if (response.getJobsCount() == size) {
        more = true;
        break;
      }
      Job proto = job.toProto(clipBytes);
      if (states.isEmpty() || states.contains(proto.getState())) {
        response.addJobs(proto);
      }
    }
    if (more) {
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
      throw Status.INVALID_ARGUMENT.withDescription("page_token is not valid").asRuntimeException();
    }
  }

  /** The tenant's jobs held now, newest first. */
  ConcurrentSkipListMap<Long, SimulatedBackendJob> of(String tenant) {
    ConcurrentSkipListMap<Long, SimulatedBackendJob> own = byTenant.get(tenant);
    return own != null ? own : new ConcurrentSkipListMap<>();
  }

  Counts counts(String tenant) {
    return counts.computeIfAbsent(tenant, t -> new Counts());
  }

  int size() {
    return jobs.size();
  }

  /** Forgets the finished jobs that ended before {@code cutoff}. */
  void forgetFinishedBefore(Instant cutoff) {
    for (SimulatedBackendJob job : jobs.values()) {
      Instant finished = job.finished();
      if (SimulatedBackendJob.isTerminal(job.state())
          && finished != null
          && finished.isBefore(cutoff)) {
        synchronized (admission) {
          forget(job);
        }
      }
    }
  }

  /** Makes room for one job; false when every job held is unfinished. Holds the admission lock. */
  private boolean forgetOldestFinished() {
    SimulatedBackendJob oldest = null;
    for (SimulatedBackendJob job : jobs.values()) {
      Instant finished = job.finished();
      if (SimulatedBackendJob.isTerminal(job.state())
          && finished != null
          && (oldest == null || finished.isBefore(oldest.finished()))) {
        oldest = job;
      }
    }
    if (oldest == null) {
      return false;
    }
    forget(oldest);
    return true;
  }

  private void forget(SimulatedBackendJob job) {
    if (jobs.remove(job.id) == null) {
      return;
    }
    ConcurrentSkipListMap<Long, SimulatedBackendJob> own = byTenant.get(job.tenant);
    if (own != null) {
      own.remove(job.sequence);
    }
    String key = job.original.getIdempotencyKey();
    if (!key.isEmpty()) {
      idempotency.remove(job.tenant + '\0' + key, job.id);
    }
  }

  /** A tenant's jobs that ended, by outcome. */
  static final class Counts {
    final AtomicLong succeeded = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong cancelled = new AtomicLong();

    void ended(JobState state) {
      switch (state) {
        case SUCCEEDED -> succeeded.incrementAndGet();
        case FAILED -> failed.incrementAndGet();
        case CANCELLED -> cancelled.incrementAndGet();
        default -> {}
      }
    }
  }
}
