package dev.framecast.scheduler;

import dev.framecast.scheduler.admission.Admission;
import dev.framecast.scheduler.admission.RateLimiter;
import dev.framecast.scheduler.admission.UsageLedger;
import dev.framecast.scheduler.engine.ClipRenderer;
import dev.framecast.scheduler.engine.Engine;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.engine.Journal;
import dev.framecast.scheduler.engine.UsageSink;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.metrics.SchedulerMetrics;
import dev.framecast.scheduler.node.CircuitBreaker;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.node.NodeDiscovery;
import dev.framecast.scheduler.node.NodePool;
import dev.framecast.scheduler.node.TritonClient;
import dev.framecast.scheduler.pipeline.Pipeline;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import dev.framecast.scheduler.pipeline.Pipelines;
import dev.framecast.scheduler.service.SchedulerCore;
import dev.framecast.scheduler.service.SchedulerService;
import dev.framecast.scheduler.store.DiskClipStore;
import dev.framecast.scheduler.store.JobStore;
import dev.framecast.scheduler.store.Lease;
import dev.framecast.scheduler.store.Recovery;
import dev.framecast.scheduler.store.StoreWriter;
import dev.framecast.scheduler.tenant.TenantPolicy;
import dev.framecast.scheduler.tenant.TenantRegistry;
import dev.framecast.scheduler.webhook.Outbox;
import dev.framecast.scheduler.webhook.WebhookConfig;
import dev.framecast.scheduler.webhook.Webhooks;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The scheduler wired together: nodes and their health, pipelines resolved from the nodes' model
 * configs, tenants (reloaded when the file changes), admission, the engine, the clip store, and
 * (when a server builder is given) the {@code framecast.scheduler.v1} gRPC service. The gateway's
 * embedded mode uses {@link #core()} in-process.
 */
public final class SchedulerServer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(SchedulerServer.class.getName());

  /** How long the job store's lease lasts unrenewed: how soon a standby takes over. */
  static final Duration LEASE_TTL = Duration.ofSeconds(4);

  /** The most jobs one job store commit carries. */
  private static final int STORE_BATCH = 1024;

  /**
   * @param nodes node entries: host:port, or dns:name:port (every address of the name)
   * @param tenantsFile tenants.yaml to load and watch; null for the bundled demo tenants
   * @param clipDirectory where finished clips are stored
   * @param database the durable job store, or null for none (jobs live in memory only)
   * @param metricsPort the metrics and probes port (-1: none, 0: any free port)
   * @param nodeCredentials how channels to nodes are protected (mutual TLS, or plaintext)
   */
  public record Options(
      List<String> nodes,
      List<PipelineSpec> pipelines,
      Path tenantsFile,
      Path clipDirectory,
      Duration clipRetention,
      EngineConfig engine,
      int workerThreads,
      Database database,
      int metricsPort,
      ChannelCredentials nodeCredentials,
      WebhookConfig webhooks) {

    /** Options with the default webhook delivery (no private addresses allowed). */
    public Options(
        List<String> nodes,
        List<PipelineSpec> pipelines,
        Path tenantsFile,
        Path clipDirectory,
        Duration clipRetention,
        EngineConfig engine,
        int workerThreads,
        Database database,
        int metricsPort,
        ChannelCredentials nodeCredentials) {
      this(
          nodes,
          pipelines,
          tenantsFile,
          clipDirectory,
          clipRetention,
          engine,
          workerThreads,
          database,
          metricsPort,
          nodeCredentials,
          WebhookConfig.DEFAULT);
    }

    /** Options with plaintext channels to the nodes (in-process and test nodes). */
    public Options(
        List<String> nodes,
        List<PipelineSpec> pipelines,
        Path tenantsFile,
        Path clipDirectory,
        Duration clipRetention,
        EngineConfig engine,
        int workerThreads,
        Database database,
        int metricsPort) {
      this(
          nodes,
          pipelines,
          tenantsFile,
          clipDirectory,
          clipRetention,
          engine,
          workerThreads,
          database,
          metricsPort,
          InsecureChannelCredentials.create());
    }

    /** Options without a metrics port (serve it later with {@code metrics().serve(port)}). */
    public Options(
        List<String> nodes,
        List<PipelineSpec> pipelines,
        Path tenantsFile,
        Path clipDirectory,
        Duration clipRetention,
        EngineConfig engine,
        int workerThreads,
        Database database) {
      this(
          nodes,
          pipelines,
          tenantsFile,
          clipDirectory,
          clipRetention,
          engine,
          workerThreads,
          database,
          -1);
    }

    /** Options without a job store. */
    public Options(
        List<String> nodes,
        List<PipelineSpec> pipelines,
        Path tenantsFile,
        Path clipDirectory,
        Duration clipRetention,
        EngineConfig engine,
        int workerThreads) {
      this(
          nodes, pipelines, tenantsFile, clipDirectory, clipRetention, engine, workerThreads, null);
    }
  }

  /**
   * Where the job store is: {@code jdbc:postgresql://host:port/db} (with a user and password) or
   * {@code jdbc:sqlite:FILE}.
   */
  public record Database(String url, String user, String password) {
    @Override
    public String toString() {
      return "Database[" + url + ", user " + user + "]"; // never the password
    }
  }

  private final NodePool pool;
  private final Engine engine;
  private final SchedulerCore core;
  private final TenantRegistry tenants;
  private final ScheduledExecutorService housekeeping;
  private final ExecutorService workers;
  private final ExecutorService streams;
  private SchedulerService service;
  private final SchedulerMetrics metrics;
  private final Webhooks webhooks;
  private final JobStore jobStore;
  private final StoreWriter writer;
  private final Lease lease;
  private volatile double recoverySeconds;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();
  private Server server;

  public SchedulerServer(Options options, ClipRenderer renderer) throws IOException {
    Clock clock = Clock.systemUTC();
    Set<String> models = new HashSet<>();
    options.pipelines().forEach(p -> models.addAll(List.of(p.textEncoder(), p.dit(), p.vae())));
    // Static host:port entries pass through discovery unchanged; dns:NAME:PORT entries are
    // re-resolved every health round (a Kubernetes headless service's pods).
    pool =
        new NodePool(
            NodeDiscovery.system(options.nodes()),
            address ->
                new Node(
                    address,
                    new TritonClient(address, 512 << 20, options.nodeCredentials()),
                    new CircuitBreaker(
                        3, Duration.ofSeconds(2), Duration.ofMinutes(1), System::nanoTime)),
            models,
            Duration.ofSeconds(5));
    pool.startHealthChecks(Duration.ofSeconds(1));
    Map<String, Pipeline> pipelines =
        Pipelines.resolve(options.pipelines(), pool, Duration.ofSeconds(30));
    // Nodes are used only once their models match what the scheduler sends and reads.
    pool.checkContractWith(Pipelines.contractCheck(pipelines));
    tenants =
        options.tenantsFile() == null
            ? TenantRegistry.fromClasspath()
            : new TenantRegistry(options.tenantsFile());
    housekeeping =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "framecast-housekeeping");
              t.setDaemon(true);
              return t;
            });
    if (options.tenantsFile() != null) {
      tenants.startWatching(housekeeping, Duration.ofSeconds(2));
    }
    UsageLedger ledger = new UsageLedger(clock);
    Admission admission = new Admission(tenants, new RateLimiter(), ledger);
    DiskClipStore store =
        new DiskClipStore(options.clipDirectory(), options.clipRetention(), clock);
    housekeeping.scheduleWithFixedDelay(
        () -> {
          try {
            store.sweep();
          } catch (IOException e) {
            LOG.warning("clip retention sweep failed: " + e);
          }
        },
        1,
        60,
        TimeUnit.MINUTES);
    workers =
        Executors.newFixedThreadPool(
            Math.max(1, options.workerThreads()), daemon("framecast-render"));
    streams = Executors.newCachedThreadPool(daemon("framecast-stream"));
    metrics = new SchedulerMetrics(new LedgerSink(ledger, this::jobEnded));
    if (options.metricsPort() >= 0) {
      // Before the lease: a standby answers its probes and reports leader 0.
      int port = metrics.serve(options.metricsPort());
      LOG.info("metrics and probes on port " + port + " (/metrics, /livez, /readyz, /leader)");
    }
    if (options.database() != null) {
      jobStore =
          JobStore.open(
              options.database().url(), options.database().user(), options.database().password());
      // A standby waits here until the leader's lease expires (or it gives the lease up).
      lease = new Lease(jobStore, clock, LEASE_TTL);
      JobStore.Fence fence;
      try {
        metrics.role(SchedulerMetrics.Role.STANDBY);
        fence = lease.acquire(this::deposed);
        metrics.role(SchedulerMetrics.Role.RECOVERING);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        jobStore.close();
        pool.close();
        throw new IOException("interrupted while waiting for the job store's lease", e);
      }
      // The gauges read the writer, which needs their listener first.
      java.util.concurrent.atomic.AtomicReference<StoreWriter> made =
          new java.util.concurrent.atomic.AtomicReference<>();
      writer =
          new StoreWriter(
              jobStore,
              clock,
              STORE_BATCH,
              metrics.bindStore(() -> made.get().backlog(), () -> recoverySeconds),
              fence,
              () -> lease.deposed(this::deposed, "a job store commit was refused"));
      made.set(writer);
      housekeeping.scheduleWithFixedDelay(
          () -> prune(options.clipRetention(), clock), 1, 60, TimeUnit.MINUTES);
    } else {
      jobStore = null;
      writer = null;
      lease = null;
    }
    // The outbox is the job store: deliveries owed survive a restart and move to a standby.
    webhooks =
        new Webhooks(
            options.webhooks(),
            tenants::policy,
            this::webhookOutcome,
            clock,
            jobStore == null ? Outbox.NONE : jobStore);
    engine =
        new Engine(
            options.engine(),
            pipelines,
            pool,
            tenant -> tenants.policy(tenant).map(TenantPolicy::weight).orElse(1.0),
            tenant -> tenants.policy(tenant).map(TenantPolicy::maxConcurrentJobs).orElse(1),
            metrics,
            renderer,
            store,
            workers,
            clock,
            writer == null ? Journal.NONE : writer,
            admission::dailyQuotaExceeded);
    metrics.bind(engine);
    if (jobStore != null) {
      try {
        recoverySeconds =
            Recovery.run(jobStore, store, engine, ledger, clock).took().toNanos() / 1e9;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
        throw new IOException("interrupted while taking back jobs from the job store", e);
      }
    }
    core =
        new SchedulerCore(
            engine, tenants, admission, ledger, store, streams, metrics, jobStore, webhooks);
    webhooks.start();
    if (!closed.get()) {
      metrics.role(SchedulerMetrics.Role.LEADER);
    }
    LOG.info("scheduler ready: pipelines " + pipelines.keySet() + " on nodes " + options.nodes());
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * Another scheduler took the lease: stop at once (on a thread of our own: this is called from the
   * lease's or the writer's thread, which close() waits for). A process whose main waits on {@link
   * #awaitTermination} then exits and is restarted as a standby.
   */
  private void deposed() {
    Thread stop = new Thread(this::close, "framecast-deposed");
    stop.setDaemon(false);
    stop.start();
  }

  /** Jobs ended longer ago than the clip retention, and keys past their window, leave the store. */
  private void prune(Duration retention, Clock clock) {
    try {
      int pruned =
          jobStore.prune(
              clock.instant().minus(retention), clock.instant().minus(Duration.ofHours(24)));
      if (pruned > 0) {
        LOG.info("job store: forgot " + pruned + " jobs past their retention");
      }
    } catch (RuntimeException e) {
      LOG.warning("job store retention sweep failed: " + e);
    }
  }

  /** Reports GPU-seconds and outcomes to the usage ledger, and ended jobs to the webhooks. */
  private record LedgerSink(UsageLedger ledger, java.util.function.Consumer<Job> ended)
      implements UsageSink {
    @Override
    public void ended(Job job) {
      ended.accept(job);
    }

    @Override
    public void gpuSeconds(String tenant, double seconds) {
      ledger.record(tenant, seconds);
    }

    @Override
    public void finished(String tenant, JobPhase outcome) {
      switch (outcome) {
        case SUCCEEDED -> ledger.recordOutcome(tenant, UsageLedger.Outcome.SUCCEEDED);
        case CANCELLED -> ledger.recordOutcome(tenant, UsageLedger.Outcome.CANCELLED);
        default -> ledger.recordOutcome(tenant, UsageLedger.Outcome.FAILED);
      }
    }
  }

  /** A job ended (the loop thread): its webhooks are queued. */
  private void jobEnded(Job job) {
    webhooks.ended(job);
  }

  private void webhookOutcome(String tenant, String event, String outcome) {
    metrics.webhook(tenant, event, outcome);
  }

  /** The webhook deliveries (pending count, for tests and metrics). */
  public Webhooks webhooks() {
    return webhooks;
  }

  public SchedulerMetrics metrics() {
    return metrics;
  }

  public SchedulerCore core() {
    return core;
  }

  public Engine engine() {
    return engine;
  }

  /** Serves framecast.scheduler.v1 (with health and reflection) on the builder. */
  public SchedulerServer serve(ServerBuilder<?> builder) throws IOException {
    HealthStatusManager health = new HealthStatusManager();
    server =
        builder
            .addService(service = new SchedulerService(core))
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .maxInboundMessageSize(16 << 20)
            .build()
            .start();
    LOG.info("serving framecast.scheduler.v1 on port " + server.getPort());
    return this;
  }

  public int port() {
    return server == null ? -1 : server.getPort();
  }

  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /**
   * Stops in the order a successor needs: no new calls; the engine (its jobs stay in the store);
   * the writer's last commit (readers see those events); the lease given up (a standby takes over
   * now, not when the lease expires); then the open streams, ended with UNAVAILABLE naming the seq
   * to resume after (their clients reconnect to the new leader, which has every committed event);
   * then the rest.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    metrics.role(SchedulerMetrics.Role.STOPPING);
    if (server != null) {
      server.shutdown();
    }
    if (engine != null) {
      engine.close();
    }
    // After the loop (no job ends any more), before the lease goes: a standby that takes over
    // sends what is still owed, this one no longer does.
    if (webhooks != null) {
      webhooks.close();
    }
    if (writer != null) {
      writer.close(); // writes what the engine changed last, then stops
    }
    if (lease != null) {
      lease.close();
    }
    if (service != null) {
      int ended = service.endStreams();
      if (ended > 0) {
        LOG.info("asked " + ended + " event stream(s) to reconnect");
      }
    }
    if (server != null) {
      try {
        server.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      server.shutdownNow();
    }
    if (jobStore != null) {
      jobStore.close();
    }
    metrics.close();
    pool.close();
    housekeeping.shutdownNow();
    workers.shutdownNow();
    streams.shutdownNow();
  }
}
