package dev.framecast.gateway.bench;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.api.v1.ListJobsRequest;
import dev.framecast.api.v1.ListJobsResponse;
import dev.framecast.api.v1.ListModelsResponse;
import dev.framecast.api.v1.ModelInfo;
import dev.framecast.api.v1.Quota;
import dev.framecast.api.v1.Usage;
import dev.framecast.common.Caller;
import dev.framecast.common.errors.InvalidRequestException;
import dev.framecast.common.events.EventLogPublisher;
import dev.framecast.gateway.backend.Backend;
import dev.framecast.media.PngEncoder;
import io.grpc.Status;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * The gateway stream benchmark's scheduler: no models and no GPU, served over {@code
 * framecast.scheduler.v1} by {@link SimulatedScheduler} to a gateway in distributed mode (test code
 * only; the production gateway has no such mode). A job is a timer that appends fake events
 * (queued, started, one progress per step, a small clip that is not a video, completed) to a real
 * {@code EventLog}, stamped with the current time; streams read that log through the {@link
 * EventLogPublisher} the scheduler uses, so everything from the event log to the client (flow
 * control included) is the production path, and event lag measured by a client is the gateway's
 * own.
 *
 * <p>Threads: one timer thread advances every job (after submit, only it appends events), so a
 * job's events never race each other; callers read volatile state or send it a cancel. Event logs
 * are drained into streams on each stream's own Vert.x event loop (see {@code drainExecutor}), or
 * on a fixed pool when there is none or {@code stream-executor=pool}; either queue holds at most
 * one task per open stream, because an EventLogPublisher schedules its drain only when none is
 * pending. Jobs are bounded ({@link SimulatedBackendJobs}), and so is each job's event log
 * (max-event-bytes; a job that would exceed it fails).
 *
 * <p>Any tenant named by a verified token is accepted (there is no tenants file); another tenant's
 * job is NOT_FOUND, and another tenant's usage needs the admin role, as with the real scheduler.
 */
public final class SimulatedBackend implements Backend {
  private static final Logger LOG = Logger.getLogger(SimulatedBackend.class);
  static final String MODEL = "simulated";
  static final int WIDTH = 64;
  static final int HEIGHT = 64;
  static final int FRAMES = 16;
  static final float FPS = 8;
  static final float GUIDANCE = 5;
  private static final Duration SWEEP = Duration.ofSeconds(1);

  /** The knobs (the stream benchmark sets them from its options). */
  public record Settings(
      Duration stepInterval,
      int defaultSteps,
      int maxSteps,
      int maxJobs,
      Duration retention,
      int clipBytes,
      long maxEventBytes,
      boolean drainOnEventLoop,
      int streamThreads) {
    public Settings {
      if (stepInterval.isNegative() || stepInterval.isZero()) {
        throw new IllegalArgumentException("framecast.simulated.step-interval must be positive");
      }
      if (defaultSteps < 1 || maxSteps < defaultSteps) {
        throw new IllegalArgumentException(
            "framecast.simulated: need 1 <= default-steps <= max-steps");
      }
      if (maxJobs < 1 || streamThreads < 1 || clipBytes < 1 || maxEventBytes < 1) {
        throw new IllegalArgumentException(
            "framecast.simulated: max-jobs, stream-threads, clip-bytes and max-event-bytes must"
                + " be >= 1");
      }
    }
  }

  private final Settings settings;
  private final Clock clock;
  private final ScheduledThreadPoolExecutor timer;
  private final ExecutorService streams;
  private final SimulatedBackendJobs jobs;
  private final byte[] preview;
  private final byte[] clip;

  public SimulatedBackend(Settings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
    this.jobs = new SimulatedBackendJobs(settings.maxJobs(), settings.maxEventBytes());
    this.timer = new ScheduledThreadPoolExecutor(1, daemon("framecast-simulated-timer"));
    timer.setRemoveOnCancelPolicy(true); // finished jobs' ticks leave the queue at once
    this.streams =
        Executors.newFixedThreadPool(
            settings.streamThreads(), daemon("framecast-simulated-stream"));
    byte[] gray = new byte[16 * 16 * 3];
    java.util.Arrays.fill(gray, (byte) 0x80);
    this.preview = new PngEncoder().encode(gray, 0, 16, 16);
    this.clip = fakeClip(settings.clipBytes());
    timer.scheduleWithFixedDelay(
        this::sweep, SWEEP.toMillis(), SWEEP.toMillis(), TimeUnit.MILLISECONDS);
    LOG.warnf(
        "SIMULATED BACKEND, FOR LOAD TESTS ONLY: no scheduler and no models run; jobs are timers"
            + " that emit fake events every %s ms and a clip that is not a video",
        settings.stepInterval().toMillis());
  }

  @Override
  public Job submit(Caller caller, GenerateRequest request) {
    SimulatedBackendJobs.Admitted admitted =
        jobs.admit(caller, request, normalize(request), clock.instant());
    SimulatedBackendJob job = admitted.job();
    if (admitted.fresh()) {
      long interval = settings.stepInterval().toNanos();
      try {
        job.ticking(
            timer.scheduleAtFixedRate(
                () -> job.tick(clock.instant(), preview, clip),
                interval,
                interval,
                TimeUnit.NANOSECONDS));
      } catch (RejectedExecutionException e) {
        throw Status.UNAVAILABLE
            .withDescription("the gateway is shutting down")
            .asRuntimeException();
      }
    }
    return job.toProto(clip.length);
  }

  /** The request with the defaults filled in; what the real scheduler would refuse, refused. */
  private GenerateRequest normalize(GenerateRequest request) {
    List<InvalidRequestException.FieldViolation> violations = new ArrayList<>();
    if (request.getPrompt().isBlank()) {
      violations.add(new InvalidRequestException.FieldViolation("prompt", "prompt is required"));
    }
    // uint32 fields: a client's -1 arrives as 4294967295, a negative int here.
    long steps =
        request.getSteps() == 0
            ? settings.defaultSteps()
            : Integer.toUnsignedLong(request.getSteps());
    if (steps > settings.maxSteps()) {
      violations.add(
          new InvalidRequestException.FieldViolation(
              "steps",
              "steps must be at most framecast.simulated.max-steps=" + settings.maxSteps()));
    }
    if (Integer.toUnsignedLong(request.getPreviewEvery()) > steps) {
      violations.add(
          new InvalidRequestException.FieldViolation(
              "preview_every", "preview_every must be at most the job's steps (" + steps + ")"));
    }
    if (!violations.isEmpty()) {
      throw new InvalidRequestException(violations);
    }
    GenerateRequest.Builder admitted = request.toBuilder().setSteps((int) steps);
    if (admitted.getModel().isEmpty()) {
      admitted.setModel(MODEL);
    }
    if (!admitted.hasSeed()) {
      admitted.setSeed(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }
    if (!admitted.hasGuidanceScale()) {
      admitted.setGuidanceScale(GUIDANCE);
    }
    return admitted.build();
  }

  @Override
  public Job get(Caller caller, String jobId) {
    return jobs.owned(caller, jobId).toProto(clip.length);
  }

  @Override
  public ListJobsResponse list(Caller caller, ListJobsRequest request) {
    return jobs.list(caller, request, clip.length);
  }

  /**
   * Like the scheduler: the cancel is applied by the timer thread; the job is returned as it was.
   */
  @Override
  public Job cancel(Caller caller, String jobId, String reason) {
    SimulatedBackendJob job = jobs.owned(caller, jobId);
    String why = reason.isEmpty() ? "cancelled by " + caller.subject() : reason;
    try {
      timer.execute(() -> job.cancel(why, clock.instant()));
    } catch (RejectedExecutionException e) {
      throw Status.UNAVAILABLE.withDescription("the gateway is shutting down").asRuntimeException();
    }
    return job.toProto(clip.length);
  }

  @Override
  public Usage usage(Caller caller, String tenant) {
    String target = tenant.isEmpty() ? caller.tenant() : tenant;
    if (!target.equals(caller.tenant()) && !caller.admin()) {
      throw Status.PERMISSION_DENIED
          .withDescription("reading another tenant's usage needs the framecast-admin role")
          .asRuntimeException();
    }
    int running = 0;
    int queued = 0;
    for (SimulatedBackendJob job : jobs.of(target).values()) {
      switch (job.state()) {
        case RUNNING -> running++;
        case QUEUED -> queued++;
        default -> {}
      }
    }
    SimulatedBackendJobs.Counts ended = jobs.counts(target);
    Instant midnight =
        clock
            .instant()
            .atZone(ZoneOffset.UTC)
            .toLocalDate()
            .atStartOfDay(ZoneOffset.UTC)
            .toInstant();
    return Usage.newBuilder()
        .setTenant(target)
        .setQuota(
            Quota.newBuilder()
                .setWeight(1)
                .setMaxConcurrentJobs(settings.maxJobs())
                .setMaxQueuedJobs(settings.maxJobs())
                .setMaxSteps(settings.maxSteps()))
        .setRunningJobs(running)
        .setQueuedJobs(queued)
        .setJobsSucceeded(ended.succeeded.get())
        .setJobsFailed(ended.failed.get())
        .setJobsCancelled(ended.cancelled.get())
        .setWindowStart(
            com.google.protobuf.Timestamp.newBuilder().setSeconds(midnight.getEpochSecond()))
        .build();
  }

  @Override
  public ListModelsResponse models(Caller caller) {
    return ListModelsResponse.newBuilder()
        .addModels(
            ModelInfo.newBuilder()
                .setName(MODEL)
                .setDescription(
                    "simulated: load tests only; no model runs, events are fake, the clip is not"
                        + " a video")
                .setIsDefault(true)
                .setDefaultSteps(settings.defaultSteps())
                .setMinSteps(1)
                .setMaxSteps(settings.maxSteps())
                .setDefaultGuidanceScale(GUIDANCE)
                .setMinGuidanceScale(1)
                .setMaxGuidanceScale(20)
                .setMaxPromptBytes(2048)
                .setFrameCount(FRAMES)
                .setWidth(WIDTH)
                .setHeight(HEIGHT)
                .setFps(FPS))
        .build();
  }

  @Override
  public Flow.Publisher<JobEvent> events(Caller caller, String jobId, long afterSeq) {
    return new EventLogPublisher(jobs.owned(caller, jobId).events, afterSeq, drainExecutor());
  }

  /**
   * The stream's own event loop when asked for and called on behalf of a Vert.x request (the RPC
   * method runs on a worker thread but in the request's context, whose loop is the connection's),
   * so that the writes happen on the loop: the Vert.x gRPC bridge's isReady() only counts bytes the
   * loop has taken, and writes from another thread wait, uncounted, in the loop's task queue.
   * Draining on the loop keeps that queue at one task per stream. Otherwise, the fixed pool.
   */
  private Executor drainExecutor() {
    io.vertx.core.Context context = settings.drainOnEventLoop() ? Vertx.currentContext() : null;
    if (context == null || !context.isEventLoopContext()) {
      return streams;
    }
    return task -> context.runOnContext(ignored -> task.run());
  }

  /** The fake clip (SimulatedScheduler's GetClip). */
  public byte[] clip(Caller caller, String jobId) {
    SimulatedBackendJob job = jobs.owned(caller, jobId);
    if (job.state() != JobState.SUCCEEDED) {
      throw Status.FAILED_PRECONDITION
          .withDescription("job '" + jobId + "' has no clip: it is " + job.state())
          .asRuntimeException();
    }
    return clip.clone();
  }

  @Override
  public Content content(Caller caller, String jobId, String variant) {
    throw Status.UNIMPLEMENTED
        .withDescription("the simulated backend serves no content downloads")
        .asRuntimeException();
  }

  @Override
  public Job delete(Caller caller, String jobId) {
    throw Status.UNIMPLEMENTED
        .withDescription("the simulated backend deletes no jobs")
        .asRuntimeException();
  }

  @Override
  public boolean ready() {
    return !timer.isShutdown();
  }

  @Override
  public String describe() {
    return "SIMULATED, for load tests only (no scheduler, no models; fake events every "
        + settings.stepInterval().toMillis()
        + " ms)";
  }

  @Override
  public void close() {
    timer.shutdownNow();
    streams.shutdownNow();
  }

  /** Jobs held now, running and finished (for tests and bounds). */
  int jobCount() {
    return jobs.size();
  }

  /** Forgets finished jobs older than the retention. Timer thread (and tests). */
  void sweep() {
    jobs.forgetFinishedBefore(clock.instant().minus(settings.retention()));
  }

  /** Not a video: recognisable bytes of the configured size. */
  private static byte[] fakeClip(int size) {
    byte[] marker = "framecast simulated clip, not a video\n".getBytes(StandardCharsets.US_ASCII);
    byte[] clip = new byte[size];
    for (int i = 0; i < size; i++) {
      clip[i] = marker[i % marker.length];
    }
    return clip;
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
