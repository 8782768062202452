package dev.framecast.scheduler.metrics;

import com.sun.net.httpserver.HttpExchange;
import dev.framecast.scheduler.engine.Engine;
import dev.framecast.scheduler.engine.UsageSink;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.store.StoreWriter;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.DoubleSupplier;
import java.util.function.IntSupplier;

/**
 * The scheduler's metrics: admissions and rejections per tenant and reason, queue depth, active
 * jobs, batch sizes (whose sum is the DiT job-steps applied), step latency per node and model, node
 * health, GPU-seconds per tenant, time to first event, job latency by outcome, and the loop
 * thread's CPU time. Wraps the usage sink the engine reports to, so every measurement also reaches
 * the ledger.
 */
public final class SchedulerMetrics implements UsageSink, AutoCloseable {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final UsageSink delegate;
  private final Counter admitted;
  private final Counter deleted;
  private final Counter webhooks;
  private final Counter rejected;
  private final Counter gpuSeconds;
  private final Histogram batchSize;
  private final Histogram requestLatency;
  private final Counter requestFailures;
  private final Histogram firstEvent;
  private final Histogram jobLatency;
  private HTTPServer server;
  private volatile Role role = Role.STARTING;

  /**
   * Where this scheduler stands: what {@code /readyz} and {@code framecast_scheduler_leader}
   * report.
   */
  public enum Role {
    /** Connecting to the job store, before waiting for its lease. */
    STARTING,
    /** Waiting for the job store's lease: a healthy standby, serving no API. */
    STANDBY,
    /** Holds the lease and is taking the jobs back. */
    RECOVERING,
    /** Runs the jobs (holds the lease, when there is a job store). */
    LEADER,
    /** Stopping (SIGTERM, or deposed). */
    STOPPING;

    /** A healthy member of the pair: the leader, or a standby ready to take over. */
    public boolean ready() {
      return this == STANDBY || this == LEADER;
    }
  }

  public SchedulerMetrics(UsageSink delegate) {
    this.delegate = delegate;
    GaugeWithCallback.builder()
        .name("framecast_scheduler_leader")
        .help(
            "1 while this scheduler holds the job store's lease and serves; 0 on a standby,"
                + " while starting or stopping")
        .callback(cb -> cb.call(role == Role.LEADER ? 1 : 0))
        .register(registry);
    admitted =
        Counter.builder()
            .name("framecast_scheduler_jobs_admitted")
            .help("Jobs admitted, per tenant")
            .labelNames("tenant")
            .register(registry);
    deleted =
        Counter.builder()
            .name("framecast_scheduler_jobs_deleted")
            .help("Jobs deleted by their tenant (record, events and files), per tenant")
            .labelNames("tenant")
            .register(registry);
    webhooks =
        Counter.builder()
            .name("framecast_scheduler_webhook_deliveries")
            .help(
                "Webhook deliveries per tenant, event and outcome (delivered, retried, failed,"
                    + " refused, dropped)")
            .labelNames("tenant", "event", "outcome")
            .register(registry);
    rejected =
        Counter.builder()
            .name("framecast_scheduler_jobs_rejected")
            .help("Submissions rejected, per tenant and reason")
            .labelNames("tenant", "reason")
            .register(registry);
    gpuSeconds =
        Counter.builder()
            .name("framecast_scheduler_gpu_seconds")
            .help("GPU-seconds consumed, per tenant (each batch's latency split among its jobs)")
            .labelNames("tenant")
            .register(registry);
    batchSize =
        Histogram.builder()
            .name("framecast_scheduler_batch_size")
            .help("Jobs per successful DiT step batch (its _sum counts the DiT job-steps applied)")
            .classicUpperBounds(1, 2, 4, 8, 16, 32, 64)
            .register(registry);
    requestLatency =
        Histogram.builder()
            .name("framecast_scheduler_node_request_seconds")
            .help(
                "Latency of node requests, per node, model and kind (step, encode, decode, preview)")
            .labelNames("node", "model", "kind")
            .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
            .register(registry);
    requestFailures =
        Counter.builder()
            .name("framecast_scheduler_node_request_failures")
            .help("Failed node requests, per node and model")
            .labelNames("node", "model")
            .register(registry);
    firstEvent =
        Histogram.builder()
            .name("framecast_scheduler_time_to_first_event_seconds")
            .help(
                "From admission to the scheduler loop taking the job in (the wait before scheduling)")
            .classicUpperBounds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)
            .register(registry);
    jobLatency =
        Histogram.builder()
            .name("framecast_scheduler_job_seconds")
            .help("From admission to the end of a job, per outcome")
            .labelNames("outcome")
            .classicUpperBounds(1, 5, 10, 30, 60, 120, 300, 600, 1800)
            .register(registry);
  }

  /**
   * The job store's writer: commit latency (each a group of jobs), failed commits, the jobs waiting
   * for a commit, and how long the last recovery took.
   */
  public StoreWriter.Listener bindStore(IntSupplier backlog, DoubleSupplier recoverySeconds) {
    Histogram commits =
        Histogram.builder()
            .name("framecast_scheduler_store_commit_seconds")
            .help("Latency of job store commits (each writes every job changed since the last)")
            .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)
            .register(registry);
    Counter jobsWritten =
        Counter.builder()
            .name("framecast_scheduler_store_job_writes")
            .help("Job records written to the job store")
            .register(registry);
    Counter failures =
        Counter.builder()
            .name("framecast_scheduler_store_commit_failures")
            .help("Job store commits that failed (retried)")
            .register(registry);
    GaugeWithCallback.builder()
        .name("framecast_scheduler_store_backlog")
        .help("Jobs with changes waiting for a job store commit")
        .callback(cb -> cb.call(backlog.getAsInt()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("framecast_scheduler_store_recovery_seconds")
        .help("How long taking back unfinished jobs from the job store took at start")
        .callback(cb -> cb.call(recoverySeconds.getAsDouble()))
        .register(registry);
    return new StoreWriter.Listener() {
      @Override
      public void committed(int jobs, int events, long nanos) {
        commits.observe(nanos / 1e9);
        jobsWritten.inc(jobs);
      }

      @Override
      public void failed(java.sql.SQLException error) {
        failures.inc();
      }
    };
  }

  /** Registers the gauges read from the engine at scrape time. */
  public SchedulerMetrics bind(Engine engine) {
    // A node removed after leaving discovery takes its series with it (node_healthy is read from
    // the pool, so it goes by itself).
    engine
        .pool()
        .onRemoved(
            node -> {
              requestLatency.removeIf(labels -> labels.get(0).equals(node.name()));
              requestFailures.removeIf(labels -> labels.get(0).equals(node.name()));
            });
    GaugeWithCallback.builder()
        .name("framecast_scheduler_queue_depth")
        .help("Jobs admitted and not yet started, per tenant")
        .labelNames("tenant")
        .callback(cb -> engine.tenants().forEach(t -> cb.call(engine.waiting(t), t)))
        .register(registry);
    GaugeWithCallback.builder()
        .name("framecast_scheduler_active_jobs")
        .help("Jobs started and not yet ended, per tenant")
        .labelNames("tenant")
        .callback(cb -> engine.tenants().forEach(t -> cb.call(engine.running(t), t)))
        .register(registry);
    // The loop's own cost: divided by framecast_scheduler_batch_size_sum (DiT job-steps applied),
    // the scheduler's CPU per unit of work, comparable across scheduling policies.
    CounterWithCallback.builder()
        .name("framecast_scheduler_loop_cpu_seconds")
        .help("CPU time of the scheduler's loop thread (planning and applying every tick)")
        .callback(
            cb -> {
              long nanos = engine.loopCpuNanos();
              if (nanos >= 0) {
                cb.call(nanos / 1e9);
              }
            })
        .register(registry);
    GaugeWithCallback.builder()
        .name("framecast_scheduler_node_healthy")
        .help("1 when the node is ready and its circuit breaker is not open")
        .labelNames("node")
        .callback(
            cb -> {
              for (Node node : engine.pool().nodes()) {
                cb.call(node.canRun(java.util.Set.of()) ? 1 : 0, node.name());
              }
            })
        .register(registry);
    GaugeWithCallback.builder()
        .name("framecast_scheduler_node_refused")
        .help(
            "1 when the node's models do not match what the scheduler sends and reads (its"
                + " ModelMetadata or ModelConfig differ; the log says how): it is not used")
        .labelNames("node")
        .callback(
            cb -> {
              for (Node node : engine.pool().nodes()) {
                cb.call(node.refusal() != null ? 1 : 0, node.name());
              }
            })
        .register(registry);
    return this;
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  public void role(Role role) {
    this.role = role;
  }

  public Role role() {
    return role;
  }

  /**
   * Serves {@code /metrics} and the probes on {@code port}: {@code /livez} (200 while the process
   * runs), {@code /readyz} (200 for the leader and for a standby waiting for the lease, 503 while
   * starting, taking jobs back or stopping), {@code /leader} (200 only for the leader). A standby
   * serves them too, so Kubernetes can tell a healthy standby from a stuck one. Idempotent.
   */
  public synchronized int serve(int port) throws IOException {
    if (server == null) {
      server =
          HTTPServer.builder()
              .port(port)
              .registry(registry)
              .defaultHandler(this::probe)
              .buildAndStart();
    }
    return server.getPort();
  }

  private void probe(HttpExchange exchange) throws IOException {
    try (exchange) {
      Role now = role;
      String path = exchange.getRequestURI().getPath();
      int status =
          switch (path) {
            case "/livez" -> 200;
            case "/readyz" -> now.ready() ? 200 : 503;
            case "/leader" -> now == Role.LEADER ? 200 : 503;
            default -> 404;
          };
      byte[] body =
          (status == 404
                  ? "not found: /metrics, /livez, /readyz, /leader\n"
                  : now.name().toLowerCase(java.util.Locale.ROOT) + "\n")
              .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(status, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  public void admitted(String tenant) {
    admitted.labelValues(tenant).inc();
  }

  /** A webhook delivery's outcome ({@link dev.framecast.scheduler.webhook.Webhooks.Listener}). */
  public void webhook(String tenant, String event, String outcome) {
    webhooks.labelValues(tenant, event, outcome).inc();
  }

  @Override
  public void ended(dev.framecast.scheduler.job.Job job) {
    delegate.ended(job);
  }

  public void deleted(String tenant) {
    deleted.labelValues(tenant).inc();
  }

  public void rejected(String tenant, String reason) {
    rejected.labelValues(tenant, reason).inc();
  }

  @Override
  public void gpuSeconds(String tenant, double seconds) {
    gpuSeconds.labelValues(tenant).inc(seconds);
    delegate.gpuSeconds(tenant, seconds);
  }

  @Override
  public void finished(String tenant, JobPhase outcome) {
    delegate.finished(tenant, outcome);
  }

  @Override
  public void request(
      String node, String model, String kind, int size, double seconds, boolean ok) {
    if (!ok) {
      requestFailures.labelValues(node, model).inc();
      return;
    }
    requestLatency.labelValues(node, model, kind).observe(seconds);
    if (kind.equals("step")) {
      batchSize.observe(size);
    }
  }

  @Override
  public void jobEnded(JobPhase outcome, double seconds) {
    jobLatency.labelValues(outcome.name().toLowerCase()).observe(seconds);
  }

  @Override
  public void firstEvent(double seconds) {
    firstEvent.observe(seconds);
  }

  @Override
  public synchronized void close() {
    if (server != null) {
      server.close();
    }
  }
}
