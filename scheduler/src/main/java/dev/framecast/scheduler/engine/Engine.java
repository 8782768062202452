package dev.framecast.scheduler.engine;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.Queued;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.scheduler.batch.BatchSizer;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.node.NodePool;
import dev.framecast.scheduler.pipeline.Pipeline;
import io.grpc.Status;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.function.ToIntFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The scheduling engine. One loop thread owns all job state: it drains commands (submit, cancel,
 * finished requests), asks the {@link Planner} for this tick's {@link Plan}, and sends it. Other
 * threads only enqueue commands and read jobs' volatile fields and event logs.
 */
public final class Engine implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Engine.class.getName());
  private static final long IDLE_WAKE_MILLIS = 100;

  private final EngineConfig config;
  private final Map<String, Pipeline> pipelines;
  private final NodePool pool;
  private final Clock clock;
  private final BlockingQueue<Command> inbox;
  private final Map<String, Job> jobs = new ConcurrentHashMap<>();

  /**
   * Jobs that have not ended, plus those that ended during the loop's current pass: what the
   * per-tenant counts, queue positions and the no-node timeout walk, instead of every retained job
   * (up to maxJobs).
   */
  private final java.util.Set<Job> live = ConcurrentHashMap.newKeySet();

  /** Ended jobs in the order the loop saw them end: the retention bound forgets from its head. */
  private final java.util.Queue<Job> ended = new java.util.concurrent.ConcurrentLinkedQueue<>();

  /**
   * Submits and cancels in the inbox, not yet taken by the loop: bounded by maxCommands (counted up
   * when offered, down when the loop takes one).
   */
  private final java.util.concurrent.atomic.AtomicInteger external =
      new java.util.concurrent.atomic.AtomicInteger();

  private final EngineState state;
  private final Planner planner;
  private final Outcomes outcomes;
  private final Events events;
  private final UsageSink usage;
  private final Thread loop;
  private volatile boolean running = true;
  private volatile long lastLoopCpuNanos;
  private Instant positionsUpdated = Instant.EPOCH;

  /** Jobs not yet started, as of the loop's last look (for new jobs' places in line). */
  private volatile int waitingNow;

  /** Submits offered and not yet taken by the loop. */
  private final java.util.concurrent.atomic.AtomicInteger submitsInInbox =
      new java.util.concurrent.atomic.AtomicInteger();

  /** Live jobs with a deadline, earliest first (loop thread only). */
  private final java.util.NavigableSet<Job> deadlines =
      new java.util.TreeSet<>(Comparator.comparing(Job::deadline).thenComparing(Job::id));

  /** Jobs past their deadline that were in flight when it fell due (loop thread only). */
  private final List<Job> overdue = new ArrayList<>();

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
    this.config = config;
    this.pipelines = Map.copyOf(pipelines);
    this.pool = pool;
    this.clock = clock;
    // Unbounded: completions of requests already in flight must never be dropped or block their
    // thread; the bound applies to what outside callers add (see external).
    this.inbox = new LinkedBlockingQueue<>();
    this.events = new Events(clock);
    this.usage = usage;
    this.state =
        new EngineState(
            EngineState.readyQueue(config.policy(), weights, clock),
            maxConcurrent,
            4096,
            config.stepProfile());
    this.planner =
        new Planner(
            state,
            pool,
            new BatchSizer(config.throughputFraction(), config.latencyTarget().toMillis() / 1000.0),
            config,
            events);
    this.outcomes =
        new Outcomes(
            state, planner, config, events, usage, renderer, store, workers, this::enqueueInternal);
    this.loop = new Thread(this::run, "framecast-scheduler-loop");
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
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    if (!threads.isThreadCpuTimeSupported() || !threads.isThreadCpuTimeEnabled()) {
      return -1;
    }
    long nanos = threads.getThreadCpuTime(loop.getId());
    if (nanos >= 0) {
      lastLoopCpuNanos = nanos;
    }
    return lastLoopCpuNanos;
  }

  /**
   * DiT job-steps applied: each successful DiT batch adds its jobs. Loop CPU divided by this is the
   * scheduler's cost per unit of work.
   */
  public long jobSteps() {
    return outcomes.jobSteps();
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
    int count = 0;
    for (Job job : live) {
      if (!job.phase().isTerminal()) {
        count++;
      }
    }
    return count;
  }

  /** Tenants with jobs in the engine. */
  public java.util.Set<String> tenants() {
    java.util.Set<String> tenants = new java.util.TreeSet<>();
    jobs.values().forEach(j -> tenants.add(j.tenant()));
    return tenants;
  }

  /**
   * Creates and queues a job for an admitted, normalized request (defaults and seed filled in).
   * Throws UNAVAILABLE when the engine is stopping or its command queue is full.
   */
  public Job submit(String tenant, GenerateRequest request) {
    Pipeline pipeline = pipelines.get(request.getModel());
    if (pipeline == null) {
      throw new IllegalArgumentException("unknown pipeline '" + request.getModel() + "'");
    }
    Job job =
        new Job(
            UUID.randomUUID().toString(),
            tenant,
            request,
            pipeline,
            clock.instant(),
            config.maxEventBytes());
    if (config.jobTimeout().toMillis() > 0) {
      job.setDeadline(job.created().plus(config.jobTimeout()));
    }
    // Its place in line until the loop has placed it: behind every job waiting and every submit
    // not yet taken (the fair queue may move it forward once it is in).
    job.setQueuePosition(waitingNow + submitsInInbox.getAndIncrement());
    jobs.put(job.id(), job);
    live.add(job);
    if (!running || !offerExternal(new Command.Submit(job))) {
      submitsInInbox.decrementAndGet();
      live.remove(job);
      jobs.remove(job.id());
      throw Status.UNAVAILABLE
          .withDescription("the scheduler is not accepting jobs now")
          .asRuntimeException();
    }
    forgetOldJobs();
    return job;
  }

  /** Asks the loop to cancel the job at its next step boundary. */
  public void cancel(String jobId, String reason) {
    if (!offerExternal(new Command.Cancel(jobId, reason))) {
      throw Status.UNAVAILABLE.withDescription("the scheduler is busy; retry").asRuntimeException();
    }
  }

  public Optional<Job> job(String id) {
    return Optional.ofNullable(jobs.get(id));
  }

  /** A tenant's jobs, newest first. */
  public List<Job> jobs(String tenant) {
    List<Job> list = new ArrayList<>();
    for (Job job : jobs.values()) {
      if (job.tenant().equals(tenant)) {
        list.add(job);
      }
    }
    list.sort(Comparator.comparing(Job::created).reversed().thenComparing(Job::id));
    return list;
  }

  /** Jobs of the tenant admitted but not yet started (for max_queued_jobs). */
  public int waiting(String tenant) {
    int waiting = 0;
    for (Job job : live) {
      if (job.tenant().equals(tenant) && job.started() == null && !job.phase().isTerminal()) {
        waiting++;
      }
    }
    return waiting;
  }

  /** Jobs of the tenant started and not yet ended. */
  public int running(String tenant) {
    int running = 0;
    for (Job job : live) {
      if (job.tenant().equals(tenant) && job.started() != null && !job.phase().isTerminal()) {
        running++;
      }
    }
    return running;
  }

  private boolean offerExternal(Command command) {
    if (external.incrementAndGet() > config.maxCommands()) {
      external.decrementAndGet();
      return false;
    }
    inbox.add(command);
    return true;
  }

  /** Completions from node calls and workers: never dropped, never blocking. */
  private void enqueueInternal(Command command) {
    inbox.add(command);
  }

  private void run() {
    Instant wakeAt = null;
    while (true) {
      try {
        Command command = inbox.poll(idleWaitNanos(wakeAt), TimeUnit.NANOSECONDS);
        while (command != null) {
          if (command instanceof Command.Stop) {
            return;
          }
          handle(command);
          command = inbox.poll();
        }
        Instant now = clock.instant();
        expire(now);
        Plan plan = planner.schedule(now);
        wakeAt = plan.wakeAt();
        execute(plan);
        retire();
        waitingNow = Math.max(0, state.notStarted);
        if (now.isAfter(positionsUpdated.plusSeconds(1))) {
          positionsUpdated = now;
          updatePositions();
          state.retainNodes(pool.nodes());
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

  /**
   * How long the loop may wait for a command: the idle wake, or less when the last plan has a
   * decision falling due sooner (a batching delay running out), so it is taken on time.
   */
  private long idleWaitNanos(Instant wakeAt) {
    long idle = TimeUnit.MILLISECONDS.toNanos(IDLE_WAKE_MILLIS);
    if (wakeAt == null) {
      return idle;
    }
    long until = java.time.Duration.between(clock.instant(), wakeAt).toNanos();
    return Math.max(0, Math.min(idle, until));
  }

  private void handle(Command command) {
    if (command instanceof Command.Submit || command instanceof Command.Cancel) {
      external.decrementAndGet(); // taken off the inbox: room for another
    }
    if (command instanceof Command.Submit submit) {
      Job job = submit.job();
      if (job.deadline() != null) {
        deadlines.add(job);
      }
      state.toEncode.addLast(job);
      int position = state.notStarted++;
      job.setQueuePosition(position);
      waitingNow = state.notStarted;
      submitsInInbox.decrementAndGet(); // after waitingNow counts it, so it is always counted
      events.append(
          job, JobEvent.newBuilder().setQueued(Queued.newBuilder().setPosition(position)));
      usage.firstEvent(java.time.Duration.between(job.created(), clock.instant()).toNanos() / 1e9);
    } else if (command instanceof Command.Cancel cancel) {
      Job job = jobs.get(cancel.jobId());
      if (job != null) {
        outcomes.cancel(job, cancel.reason());
      }
    } else if (command instanceof Command.Done done) {
      outcomes.apply(done);
    } else if (command instanceof Command.PreviewReady preview) {
      outcomes.previewReady(preview);
    } else if (command instanceof Command.Rendered rendered) {
      outcomes.rendered(rendered);
    }
  }

  /**
   * Queue positions for GetJob, refreshed at most once a second (estimating the fair order costs
   * more than a tick should): waiting for text first, then the fair queue's estimate.
   */
  private void updatePositions() {
    int index = 0;
    for (Job job : state.toEncode) {
      job.setQueuePosition(index++);
    }
    int encoding = index;
    for (Job job : live) {
      if (job.phase() == dev.framecast.scheduler.job.JobPhase.READY) {
        job.setQueuePosition(encoding + state.ready.position(job));
      }
    }
  }

  /**
   * Moves the jobs that ended since the last pass from the live set to the ended line, and frees
   * their tensors.
   */
  private void retire() {
    for (Job job : state.justEnded) {
      if (job.started() == null) {
        state.notStarted--;
      }
      job.releaseTensors();
      if (live.remove(job)) {
        ended.add(job);
      }
      if (job.deadline() != null) {
        deadlines.remove(job);
      }
    }
    state.justEnded.clear();
  }

  /**
   * Jobs past their deadline fail at their next step boundary: the line of deadlines is read from
   * its earliest, so a pass costs nothing until one falls due (a walk of every live job on every
   * pass had been a fifth of the loop's time with 1,000 jobs running). Then jobs that waited too
   * long for any healthy node.
   */
  private void expire(Instant now) {
    while (!deadlines.isEmpty() && now.isAfter(deadlines.first().deadline())) {
      overdue.add(deadlines.pollFirst());
    }
    for (java.util.Iterator<Job> it = overdue.iterator(); it.hasNext(); ) {
      Job job = it.next();
      if (job.phase().isTerminal()) {
        it.remove();
      } else if (!state.inFlight.contains(job)) {
        it.remove();
        outcomes.fail(job, Status.DEADLINE_EXCEEDED.withDescription("the job passed its deadline"));
      }
    }
    expireForLackOfNodes(now);
  }

  private void expireForLackOfNodes(Instant now) {
    if (state.noNodeSince != null && now.isAfter(state.noNodeSince.plus(config.noNodeTimeout()))) {
      java.util.Map<String, String> refused = pool.refusals();
      String why =
          refused.isEmpty()
              ? ""
              : " (refused: "
                  + refused.entrySet().stream()
                      .map(e -> "node " + e.getKey() + ": " + e.getValue())
                      .collect(java.util.stream.Collectors.joining("; "))
                  + ")";
      for (Job job : live) {
        if (!job.phase().isTerminal() && !state.inFlight.contains(job) && job.started() == null) {
          outcomes.fail(
              job,
              Status.UNAVAILABLE.withDescription(
                  "no healthy node can run pipeline '" + job.pipeline().name() + "'" + why));
        }
      }
      state.noNodeSince = null;
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
                  enqueueInternal(new Command.Done(batch, response, error, end - start, end));
                });
      } catch (RuntimeException | Error e) {
        // The call could not start (a client that throws instead of failing its future, or out
        // of memory): it becomes a failed request, so the node's in-flight count, its breaker's
        // trial and the batch's jobs are released as for any other failure.
        long end = System.nanoTime();
        enqueueInternal(
            new Command.Done(
                batch, null, Status.INTERNAL.withCause(e).asRuntimeException(), end - start, end));
      }
    }
  }

  /**
   * Ended jobs beyond the retention bound are forgotten, those that ended first first; constant
   * work per forgotten job (this runs on every submit). Jobs that have not ended are never
   * forgotten, so the bound can be exceeded by jobs still running.
   */
  private void forgetOldJobs() {
    while (jobs.size() > config.maxJobs()) {
      Job oldest = ended.poll();
      if (oldest == null) {
        return;
      }
      jobs.remove(oldest.id());
    }
  }

  @Override
  public void close() {
    running = false;
    inbox.offer(new Command.Stop());
    try {
      loop.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
