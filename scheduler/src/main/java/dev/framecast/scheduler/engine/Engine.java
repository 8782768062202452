package dev.framecast.scheduler.engine;

import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.Queued;
import dev.framecast.common.errors.OverloadedException;
import dev.framecast.common.events.EventLog;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.job.JobSpec;
import dev.framecast.scheduler.job.LatentCheckpoint;
import dev.framecast.scheduler.node.NodePool;
import dev.framecast.scheduler.pipeline.Pipeline;
import io.grpc.Status;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToDoubleFunction;
import java.util.function.ToIntFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The scheduling engine. One loop thread owns all job state: it drains commands (submit, cancel,
 * finished requests), asks the {@link Planner} for this tick's {@link Plan}, sends it, and applies
 * results through {@link Outcomes}, whose effects (renders) it hands to the worker pool. Jobs move
 * only through {@link JobLines}. Other threads enqueue commands and read jobs' volatile fields,
 * event logs and the {@link JobTable}.
 */
public final class Engine implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Engine.class.getName());
  private static final long IDLE_WAKE_MILLIS = 100;

  /** When a client refused for a full command queue should try again. */
  private static final Duration RETRY_AFTER = Duration.ofSeconds(1);

  private final EngineConfig config;
  private final Map<String, Pipeline> pipelines;
  private final NodePool pool;
  private final Clock clock;
  private final Inbox inbox;
  private final JobTable table;
  private final Journal journal;
  private final DailyQuota quota;
  private final EngineParts parts;
  private final JobLines lines;
  private final Timeouts timeouts;
  private final UsageSink usage;
  private final Thread loop;
  private final ThreadCpu loopCpu;

  /** Submits offered and not yet taken by the loop. */
  private final AtomicInteger submitsInInbox = new AtomicInteger();

  private volatile boolean running = true;

  /** Jobs not yet started, as of the loop's last look (for new jobs' places in line). */
  private volatile int waitingNow;

  private Instant positionsUpdated = Instant.EPOCH;

  /**
   * @param pipelines pipelines by name, resolved against the nodes' model configs
   * @param weights a tenant's fair-share weight
   * @param maxConcurrent a tenant's max concurrent (running) jobs
   * @param workers the pool that renders clips and previews and stores clips (never the loop)
   */
  public Engine(
      EngineConfig config,
      Map<String, Pipeline> pipelines,
      NodePool pool,
      ToDoubleFunction<String> weights,
      ToIntFunction<String> maxConcurrent,
      UsageSink usage,
      ClipRenderer renderer,
      ClipStore store,
      ExecutorService workers,
      Clock clock) {
    this(
        config,
        pipelines,
        pool,
        weights,
        maxConcurrent,
        usage,
        renderer,
        store,
        workers,
        clock,
        Journal.NONE,
        DailyQuota.NONE);
  }

  /**
   * @param journal where jobs are reported for a durable job store ({@link Journal#NONE}: none)
   * @param quota whether a tenant has used its GPU-seconds for the day (its unstarted jobs fail)
   */
  public Engine(
      EngineConfig config,
      Map<String, Pipeline> pipelines,
      NodePool pool,
      ToDoubleFunction<String> weights,
      ToIntFunction<String> maxConcurrent,
      UsageSink usage,
      ClipRenderer renderer,
      ClipStore store,
      ExecutorService workers,
      Clock clock,
      Journal journal,
      DailyQuota quota) {
    this.config = config;
    this.journal = journal;
    this.quota = quota;
    this.pipelines = Map.copyOf(pipelines);
    this.pool = pool;
    this.clock = clock;
    this.inbox = new Inbox(config.maxCommands());
    this.timeouts = new Timeouts(config.noNodeTimeout(), pool::refusals);
    this.usage = usage;
    this.table = new JobTable(config.maxJobs());
    this.parts =
        EngineParts.wire(
            config,
            pool,
            EngineParts.readyQueue(config.policy(), weights, clock),
            maxConcurrent,
            usage,
            renderer,
            store,
            workers,
            inbox::add,
            clock,
            journal);
    this.lines = parts.lines();
    this.loop = new Thread(this::run, "framecast-scheduler-loop");
    this.loopCpu = new ThreadCpu(loop);
    loop.setDaemon(true);
    LOG.info("scheduling policy: " + config.policy().describe());
    loop.start();
  }

  /** How ready jobs get onto nodes. */
  public SchedulingPolicy policy() {
    return config.policy();
  }

  /**
   * CPU time the loop thread has used, in nanoseconds (from the JVM's thread CPU clock; -1 where
   * the JVM cannot measure it). After the loop has stopped, its last reading.
   */
  public long loopCpuNanos() {
    return loopCpu.nanos();
  }

  /**
   * DiT job-steps applied: each successful DiT batch adds its jobs. Loop CPU divided by this is the
   * scheduler's cost per unit of work.
   */
  public long jobSteps() {
    return parts.outcomes().jobSteps();
  }

  public Map<String, Pipeline> pipelines() {
    return pipelines;
  }

  public NodePool pool() {
    return pool;
  }

  /** Jobs kept, running and finished; older finished jobs are forgotten past it. */
  public int maxJobs() {
    return config.maxJobs();
  }

  /** Jobs in the engine that have not ended (any tenant). */
  public int unfinished() {
    return table.unfinished();
  }

  /** Tenants with jobs in the engine. */
  public Set<String> tenants() {
    return table.tenants();
  }

  /**
   * Creates and queues a job for an admitted request's spec. Throws UNAVAILABLE when the engine is
   * stopping or its command queue is full.
   */
  public Job submit(String tenant, JobSpec spec) {
    return admit(tenant, spec, null).job();
  }

  /**
   * A queued job and when its record is stored: the submission may be acknowledged once {@code
   * stored} completes (at once without a job store).
   */
  public record Admitted(Job job, CompletableFuture<Void> stored) {}

  /**
   * Creates and queues a job for an admitted request's spec and hands it to the journal. Throws
   * UNAVAILABLE when the engine is stopping or its command queue is full.
   *
   * @param keyedRequest what its idempotency key stands for (see {@link Journal#admitted}), or null
   */
  public Admitted admit(String tenant, JobSpec spec, byte[] keyedRequest) {
    Pipeline pipeline = pipeline(spec);
    String id = UUID.randomUUID().toString();
    Job job = new Job(id, tenant, spec, pipeline, clock.instant(), newLog(id));
    announce(job);
    if (!queue(job)) {
      throw new OverloadedException(
          "the scheduler is not accepting jobs now (stopping, or its queue is full); retry",
          RETRY_AFTER);
    }
    // After the loop may have seen it: the journal reads the job's state when it writes, so a
    // change it was not told of before this is written anyway.
    return new Admitted(job, journal.admitted(job, keyedRequest));
  }

  /**
   * Takes back a job the store holds from before a restart: it keeps its id, creation time and
   * events (the next seq continues them) and is queued again, from {@code checkpoint}'s step when
   * one is given (which must {@link LatentCheckpoint#fits fit} it), else from its first step; its
   * stored GPU time is not charged twice ({@link Journal#resumed}). Waits while the command queue
   * is full, so call it before serving.
   */
  public Job resume(
      String id,
      String tenant,
      JobSpec spec,
      Instant created,
      List<JobEvent> history,
      double storedGpuSeconds,
      LatentCheckpoint checkpoint)
      throws InterruptedException {
    Job job =
        new Job(
            id,
            tenant,
            spec,
            pipeline(spec),
            created,
            EventLog.resumed(id, config.maxEventBytes(), history));
    if (checkpoint != null) {
      // On from the checkpoint's step, keeping what the steps before it were charged.
      job.setResumeFrom(checkpoint);
      job.addGpuSeconds(Math.min(checkpoint.gpuSeconds(), storedGpuSeconds));
    }
    journal.resumed(job, storedGpuSeconds);
    announce(job);
    journal.changed(job);
    while (!queue(job)) {
      if (!running) {
        throw new OverloadedException("the scheduler is stopping", RETRY_AFTER);
      }
      Thread.sleep(1);
    }
    return job;
  }

  private Pipeline pipeline(JobSpec spec) {
    Pipeline pipeline = pipelines.get(spec.pipeline());
    if (pipeline == null) {
      throw new IllegalArgumentException("unknown pipeline '" + spec.pipeline() + "'");
    }
    return pipeline;
  }

  private EventLog newLog(String id) {
    return journal.durable()
        ? EventLog.gated(id, config.maxEventBytes())
        : new EventLog(id, config.maxEventBytes());
  }

  /**
   * Appends the job's queued event, on the submitting thread before the loop can see the job (so it
   * is always the job's first event): with a job store it is committed with the job's record, so
   * the acknowledgement and the first event cost one commit. Its position is the estimate a GetJob
   * shows until the loop has placed the job.
   */
  private void announce(Job job) {
    int position = waitingNow + submitsInInbox.get();
    job.events()
        .append(
            JobEvent.newBuilder().setQueued(Queued.newBuilder().setPosition(position)),
            clock.instant());
  }

  /** Indexes the job and hands it to the loop; false when the loop is stopping or full. */
  private boolean queue(Job job) {
    if (config.jobTimeout().toMillis() > 0) {
      job.setDeadline(job.created().plus(config.jobTimeout()));
    }
    // Its place in line until the loop has placed it: behind every job waiting and every submit
    // not yet taken (the fair queue may move it forward once it is in).
    job.setQueuePosition(waitingNow + submitsInInbox.getAndIncrement());
    table.add(job);
    if (!running || !inbox.offerExternal(new Command.Submit(job))) {
      submitsInInbox.decrementAndGet();
      table.withdraw(job);
      return false;
    }
    table.forgetOld();
    return true;
  }

  /** Asks the loop to cancel the job at its next step boundary. */
  public void cancel(String jobId, String reason) {
    if (!inbox.offerExternal(new Command.Cancel(jobId, reason))) {
      throw new OverloadedException("the scheduler is busy; retry", RETRY_AFTER);
    }
  }

  /**
   * Forgets an ended job (GetJob and ListJobs no longer see it); false when the job has not ended
   * (or is not held).
   */
  public boolean forget(String jobId) {
    return table.get(jobId).map(table::forget).orElse(false);
  }

  public Optional<Job> job(String id) {
    return table.get(id);
  }

  /** A tenant's jobs, newest first. */
  public java.util.NavigableSet<Job> jobs(String tenant) {
    return table.ofTenant(tenant);
  }

  /** Jobs of the tenant admitted but not yet started (for max_queued_jobs). */
  public int waiting(String tenant) {
    return table.waiting(tenant);
  }

  /** Jobs of the tenant started and not yet ended. */
  public int running(String tenant) {
    return table.running(tenant);
  }

  private void run() {
    Instant wakeAt = null;
    Instant stopBy = null; // set when told to stop: in-flight requests are waited for until then
    while (true) {
      try {
        Command command = inbox.poll(idleWaitNanos(wakeAt));
        while (command != null) {
          if (command instanceof Command.Stop) {
            if (stopBy == null) {
              stopBy = clock.instant().plus(config.stopGrace());
            }
          } else {
            handle(command);
          }
          command = inbox.poll();
        }
        Instant now = clock.instant();
        if (stopBy != null) {
          // Stopping: results of requests in flight are applied (their steps count), nothing new
          // is sent; then every job between steps is checkpointed for the next scheduler.
          int inFlight = inFlight();
          if (inFlight == 0 || !now.isBefore(stopBy)) {
            if (inFlight > 0) {
              LOG.warning(
                  "stopping: "
                      + inFlight
                      + " job(s) still had a request in flight after the grace");
            }
            int written = parts.checkpoints().stopping(table.live());
            if (written > 0) {
              LOG.info("stopping: checkpointed " + written + " running job(s)");
            }
            return;
          }
          wakeAt = now.plusMillis(IDLE_WAKE_MILLIS);
          continue;
        }
        for (Timeouts.Expired expired : timeouts.due(now, table.live(), lines::inFlight)) {
          parts.endings().fail(expired.job(), expired.status());
        }
        Plan plan = parts.planner().schedule(now);
        wakeAt = plan.wakeAt();
        timeouts.planned(plan, now);
        execute(plan);
        retire();
        waitingNow = Math.max(0, lines.notStarted());
        if (now.isAfter(positionsUpdated.plusSeconds(1))) {
          positionsUpdated = now;
          stopOverQuota();
          updatePositions();
          parts.stats().retain(lines.retainNodes(pool.nodes()));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException | Error e) {
        // A bug must not stop every job: log it loudly and keep the loop alive.
        LOG.log(Level.SEVERE, "scheduler loop error", e);
      }
    }
  }

  /** Live jobs with a node request in flight (loop thread). */
  private int inFlight() {
    int count = 0;
    for (Job job : table.live()) {
      if (lines.inFlight(job)) {
        count++;
      }
    }
    return count;
  }

  /**
   * How long the loop may wait for a command: the idle wake, or less when the last plan has a
   * decision falling due sooner (a batching delay running out), so it is taken on time.
   */
  private long idleWaitNanos(Instant wakeAt) {
    long idle = TimeUnit.MILLISECONDS.toNanos(IDLE_WAKE_MILLIS);
    if (wakeAt == null) {
      return idle;
    }
    long until = Duration.between(clock.instant(), wakeAt).toNanos();
    return Math.max(0, Math.min(idle, until));
  }

  private void handle(Command command) {
    if (command instanceof Command.Submit submit) {
      Job job = submit.job();
      timeouts.watch(job);
      int position = lines.enqueue(job);
      job.setQueuePosition(position);
      waitingNow = lines.notStarted();
      submitsInInbox.decrementAndGet(); // after waitingNow counts it, so it is always counted
      usage.firstEvent(Duration.between(job.created(), clock.instant()).toNanos() / 1e9);
    } else if (command instanceof Command.Cancel cancel) {
      table.get(cancel.jobId()).ifPresent(job -> parts.endings().cancel(job, cancel.reason()));
    } else if (command instanceof Command.Done done) {
      parts.apply(done);
    } else if (command instanceof Command.PreviewReady preview) {
      parts.outcomes().previewReady(preview);
    } else if (command instanceof Command.Rendered rendered) {
      parts.endings().rendered(rendered);
    }
  }

  /**
   * Jobs not yet started of a tenant that has used its daily GPU-seconds fail with the quota's
   * refusal; its running jobs finish ({@link DailyQuota}). One walk of the live jobs a second.
   */
  private void stopOverQuota() {
    Map<String, Optional<com.google.rpc.Status>> refusals = new java.util.HashMap<>();
    List<Job> stop = new java.util.ArrayList<>();
    for (Job job : table.live()) {
      if (job.started() != null || job.phase().isTerminal() || lines.inFlight(job)) {
        continue;
      }
      if (refusals
          .computeIfAbsent(
              job.tenant(),
              t ->
                  Optional.ofNullable(quota.exhausted(t))
                      .map(dev.framecast.common.errors.GrpcStatusMapper::toRpcStatus))
          .isPresent()) {
        stop.add(job);
      }
    }
    for (Job job : stop) {
      parts.endings().fail(job, refusals.get(job.tenant()).orElseThrow());
    }
  }

  /**
   * Queue positions for GetJob, refreshed at most once a second (estimating the fair order costs
   * more than a tick should): waiting for text first, then the ready queue's estimate.
   */
  private void updatePositions() {
    int[] index = {0};
    lines.forEachWaitingForText(job -> job.setQueuePosition(index[0]++));
    for (Job job : table.live()) {
      if (job.phase() == JobPhase.READY) {
        job.setQueuePosition(index[0] + lines.readyPosition(job));
      }
    }
  }

  /** Retires the jobs that ended since the last pass, and frees their tensors. */
  private void retire() {
    for (Job job : lines.drainEnded()) {
      job.releaseTensors();
      table.retire(job);
      timeouts.forget(job);
    }
  }

  private void execute(Plan plan) {
    for (Plan.Batch batch : plan.batches()) {
      batch.node().addInFlight(1);
      long start = System.nanoTime();
      try {
        batch
            .node()
            .client()
            .infer(batch.request(), config.rpcDeadline())
            .whenComplete(
                (ModelInferResponse response, Throwable error) -> {
                  long end = System.nanoTime();
                  inbox.add(new Command.Done(batch, response, error, end - start, end));
                });
      } catch (RuntimeException | Error e) {
        // The call could not start (a client that throws instead of failing its future, or out
        // of memory): it becomes a failed request, so the node's in-flight count, its breaker's
        // trial and the batch's jobs are released as for any other failure.
        long end = System.nanoTime();
        inbox.add(
            new Command.Done(
                batch, null, Status.INTERNAL.withCause(e).asRuntimeException(), end - start, end));
      }
    }
  }

  @Override
  public void close() {
    running = false;
    inbox.add(new Command.Stop());
    try {
      loop.join(config.stopGrace().toMillis() + 15_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    parts.checkpoints().close();
  }
}
