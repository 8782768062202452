package dev.framecast.node.metrics;

import com.sun.net.httpserver.HttpExchange;
import dev.framecast.node.infer.InferenceException;
import dev.framecast.node.sim.SimulatedGpu;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Prometheus metrics with Triton's names, help texts and labels ({@code model}, {@code version}),
 * so dashboards and alerts written for Triton work on this node unchanged.
 *
 * <p>Triton exposes its cumulative counts without the {@code _total} suffix. The Prometheus Java
 * client always appends {@code _total} to a Counter's samples, which would rename every series;
 * these cumulative values are therefore registered as the client's Gauges (only ever increased),
 * keeping Triton's exact series names. {@code nv_inference_pending_request_count} is a gauge in
 * Triton too.
 *
 * <p>Framecast's own series: {@code framecast_node_info{runtime}}, {@code framecast_node_simulated}
 * (1 on a simulated node, which runs no model) and, on a simulated node only, {@code
 * framecast_node_gpu_busy_seconds_total}, the time its simulated GPU was held (a true counter: the
 * name is ours, so the client's {@code _total} is wanted).
 */
public final class NodeMetrics implements AutoCloseable {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Gauge success;
  private final Gauge failure;
  private final Gauge inferenceCount;
  private final Gauge execCount;
  private final Gauge requestDuration;
  private final Gauge queueDuration;
  private final Gauge computeInputDuration;
  private final Gauge computeInferDuration;
  private final Gauge computeOutputDuration;
  private final Gauge pending;
  private HTTPServer server;

  /** Metrics of a node that runs its models (ONNX Runtime). */
  public NodeMetrics() {
    this(null);
  }

  /**
   * @param simulatedGpu the GPU of a simulated node (load tests), whose busy time is exported; null
   *     for a node that runs its models
   */
  public NodeMetrics(SimulatedGpu simulatedGpu) {
    success =
        cumulative(
            "nv_inference_request_success",
            "Number of successful inference requests, all batch sizes");
    failure =
        Gauge.builder()
            .name("nv_inference_request_failure")
            .help("Number of failed inference requests, all batch sizes")
            .labelNames("model", "version", "reason")
            .register(registry);
    inferenceCount =
        cumulative(
            "nv_inference_count",
            "Number of inferences performed (does not include cached requests)");
    execCount =
        cumulative(
            "nv_inference_exec_count",
            "Number of model executions performed (does not include cached requests)");
    requestDuration =
        cumulative(
            "nv_inference_request_duration_us",
            "Cumulative inference request duration in microseconds (includes cached requests)");
    queueDuration =
        cumulative(
            "nv_inference_queue_duration_us",
            "Cumulative inference queuing duration in microseconds (includes cached requests)");
    computeInputDuration =
        cumulative(
            "nv_inference_compute_input_duration_us",
            "Cumulative compute input duration in microseconds (does not include cached requests)");
    computeInferDuration =
        cumulative(
            "nv_inference_compute_infer_duration_us",
            "Cumulative compute inference duration in microseconds (does not include cached"
                + " requests)");
    computeOutputDuration =
        cumulative(
            "nv_inference_compute_output_duration_us",
            "Cumulative inference compute output duration in microseconds (does not include"
                + " cached requests)");
    pending =
        Gauge.builder()
            .name("nv_inference_pending_request_count")
            .help("Instantaneous number of pending requests awaiting execution per-model.")
            .labelNames("model", "version")
            .register(registry);
    Info.builder()
        .name("framecast_node")
        .help("Framecast inference node: the runtime that serves the models.")
        .labelNames("runtime")
        .register(registry)
        .addLabelValues(simulatedGpu == null ? "onnxruntime-cpu" : "simulated");
    Gauge.builder()
        .name("framecast_node_simulated")
        .help(
            "1 when this node is simulated for load tests (no model runs; latencies come from a"
                + " profile), 0 otherwise.")
        .register(registry)
        .set(simulatedGpu == null ? 0 : 1);
    if (simulatedGpu != null) {
      CounterWithCallback.builder()
          .name("framecast_node_gpu_busy_seconds")
          .help(
              "Time the simulated node's one GPU was held by model executions (scaled by the"
                  + " profile's time scale).")
          .callback(callback -> callback.call(simulatedGpu.busySeconds()))
          .register(registry);
    }
  }

  private Gauge cumulative(String name, String help) {
    return Gauge.builder().name(name).help(help).labelNames("model", "version").register(registry);
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /** Serves /metrics on the port (0 = any free port); returns the bound port. */
  public synchronized int serve(String host, int port) throws IOException {
    return serve(host, port, () -> true);
  }

  /**
   * Serves /metrics and Triton's HTTP health endpoints on the port (0 = any free port): {@code
   * /v2/health/live} (200 while the process runs) and {@code /v2/health/ready} (200 when {@code
   * ready} says so, else 503). Kubernetes probes these: a kubelet cannot present a client
   * certificate to the mutual-TLS gRPC port. Returns the bound port.
   */
  public synchronized int serve(String host, int port, BooleanSupplier ready) throws IOException {
    server =
        HTTPServer.builder()
            .hostname(host)
            .port(port)
            .registry(registry)
            .defaultHandler(exchange -> probe(exchange, ready))
            .buildAndStart();
    return server.getPort();
  }

  private static void probe(HttpExchange exchange, BooleanSupplier ready) throws IOException {
    try (exchange) {
      int status =
          switch (exchange.getRequestURI().getPath()) {
            case "/v2/health/live" -> 200;
            case "/v2/health/ready" -> ready.getAsBoolean() ? 200 : 503;
            default -> 404;
          };
      byte[] body =
          (status == 404 ? "not found: /metrics, /v2/health/live, /v2/health/ready\n" : "")
              .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
      if (body.length > 0) {
        exchange.getResponseBody().write(body);
      }
    }
  }

  /** Registers a model version's series at zero, as Triton does when the model loads. */
  public void register(String model, String version) {
    for (Gauge gauge :
        new Gauge[] {
          success,
          inferenceCount,
          execCount,
          requestDuration,
          queueDuration,
          computeInputDuration,
          computeInferDuration,
          computeOutputDuration,
          pending
        }) {
      gauge.labelValues(model, version).set(gauge.labelValues(model, version).get());
    }
    for (InferenceException.Reason reason : InferenceException.Reason.values()) {
      failure.labelValues(model, version, reason.name()).inc(0);
    }
  }

  void success(String model, String version, long requestNanos, long queueNanos) {
    success.labelValues(model, version).inc();
    requestDuration.labelValues(model, version).inc(micros(requestNanos));
    queueDuration.labelValues(model, version).inc(micros(queueNanos));
  }

  void failure(String model, String version, InferenceException.Reason reason, long requestNanos) {
    failure.labelValues(model, version, reason.name()).inc();
    requestDuration.labelValues(model, version).inc(micros(requestNanos));
  }

  void execution(
      String model,
      String version,
      int batchSize,
      long inputNanos,
      long inferNanos,
      long outputNanos) {
    execCount.labelValues(model, version).inc();
    inferenceCount.labelValues(model, version).inc(batchSize);
    computeInputDuration.labelValues(model, version).inc(micros(inputNanos));
    computeInferDuration.labelValues(model, version).inc(micros(inferNanos));
    computeOutputDuration.labelValues(model, version).inc(micros(outputNanos));
  }

  void pending(String model, String version, int delta) {
    pending.labelValues(model, version).inc(delta);
  }

  private static long micros(long nanos) {
    return TimeUnit.NANOSECONDS.toMicros(nanos);
  }

  @Override
  public synchronized void close() {
    if (server != null) {
      server.close();
      server = null;
    }
  }
}
