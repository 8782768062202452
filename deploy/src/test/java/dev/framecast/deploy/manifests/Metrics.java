package dev.framecast.deploy.manifests;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The series the applications export, by exported name, with their labels, as their sources define
 * them. {@link MonitoringTest} checks each family's base name is still in its source and that each
 * source defines no family missing here; deploy's Keycloak integration test compares names with
 * running processes.
 */
final class Metrics {
  /** A metric family as registered in code, and the series names Prometheus sees. */
  record Family(String source, String registered, Set<String> series, Set<String> labels) {}

  static final String SCHEDULER =
      "scheduler/src/main/java/dev/framecast/scheduler/metrics/SchedulerMetrics.java";
  static final String GATEWAY =
      "gateway/src/main/java/dev/framecast/gateway/metrics/GatewayMetrics.java";
  static final String NODE =
      "inference-node/src/main/java/dev/framecast/node/metrics/NodeMetrics.java";

  /**
   * Prometheus Java client 1.x: a Counter gets _total, a Histogram _bucket/_count/_sum, an Info
   * _info. Micrometer (the gateway): dots become underscores, a Counter gets _total, a Timer
   * _seconds_bucket/_count/_sum/_max. The node registers Triton's cumulative counters as Gauges so
   * their names stay Triton's (inference-node/README.md).
   */
  static final List<Family> FAMILIES =
      List.of(
          counter(SCHEDULER, "framecast_scheduler_jobs_admitted", "tenant"),
          counter(SCHEDULER, "framecast_scheduler_jobs_rejected", "tenant", "reason"),
          counter(SCHEDULER, "framecast_scheduler_jobs_deleted", "tenant"),
          counter(
              SCHEDULER, "framecast_scheduler_webhook_deliveries", "tenant", "event", "outcome"),
          counter(SCHEDULER, "framecast_scheduler_gpu_seconds", "tenant"),
          histogram(SCHEDULER, "framecast_scheduler_batch_size"),
          histogram(SCHEDULER, "framecast_scheduler_node_request_seconds", "node", "model", "kind"),
          counter(SCHEDULER, "framecast_scheduler_node_request_failures", "node", "model"),
          histogram(SCHEDULER, "framecast_scheduler_time_to_first_event_seconds"),
          histogram(SCHEDULER, "framecast_scheduler_job_seconds", "outcome"),
          gauge(SCHEDULER, "framecast_scheduler_queue_depth", "tenant"),
          gauge(SCHEDULER, "framecast_scheduler_active_jobs", "tenant"),
          gauge(SCHEDULER, "framecast_scheduler_node_healthy", "node"),
          gauge(SCHEDULER, "framecast_scheduler_node_refused", "node"),
          counter(SCHEDULER, "framecast_scheduler_loop_cpu_seconds"),
          // Only with a job store (--database).
          histogram(SCHEDULER, "framecast_scheduler_store_commit_seconds"),
          counter(SCHEDULER, "framecast_scheduler_store_job_writes"),
          counter(SCHEDULER, "framecast_scheduler_store_commit_failures"),
          gauge(SCHEDULER, "framecast_scheduler_store_backlog"),
          gauge(SCHEDULER, "framecast_scheduler_store_recovery_seconds"),
          gauge(SCHEDULER, "framecast_scheduler_leader"),
          new Family(
              GATEWAY,
              "framecast.gateway.requests",
              Set.of("framecast_gateway_requests_total"),
              Set.of("method", "tenant", "code")),
          new Family(
              GATEWAY,
              "framecast.gateway.open.streams",
              Set.of("framecast_gateway_open_streams"),
              Set.of("transport")),
          new Family(
              GATEWAY,
              "framecast.gateway.event.lag",
              Set.of(
                  "framecast_gateway_event_lag_seconds_bucket",
                  "framecast_gateway_event_lag_seconds_count",
                  "framecast_gateway_event_lag_seconds_sum",
                  "framecast_gateway_event_lag_seconds_max"),
              Set.of("le")),
          gauge(NODE, "nv_inference_request_success", "model", "version"),
          gauge(NODE, "nv_inference_request_failure", "model", "version", "reason"),
          gauge(NODE, "nv_inference_count", "model", "version"),
          gauge(NODE, "nv_inference_exec_count", "model", "version"),
          gauge(NODE, "nv_inference_request_duration_us", "model", "version"),
          gauge(NODE, "nv_inference_queue_duration_us", "model", "version"),
          gauge(NODE, "nv_inference_compute_input_duration_us", "model", "version"),
          gauge(NODE, "nv_inference_compute_infer_duration_us", "model", "version"),
          gauge(NODE, "nv_inference_compute_output_duration_us", "model", "version"),
          gauge(NODE, "nv_inference_pending_request_count", "model", "version"),
          new Family(NODE, "framecast_node", Set.of("framecast_node_info"), Set.of("runtime")),
          // Load tests' simulated nodes (inference-node/README.md, "Simulated mode").
          gauge(NODE, "framecast_node_simulated"),
          counter(NODE, "framecast_node_gpu_busy_seconds"));

  /**
   * Triton's GPU metrics (nv_gpu_*, on its metrics port next to nv_inference_*): only GPU nodes
   * export them, so the CPU inference node the tests run cannot show them.
   */
  static final Map<String, Set<String>> TRITON_ONLY =
      Map.of(
          "nv_gpu_utilization", Set.of("gpu_uuid"),
          "nv_gpu_memory_used_bytes", Set.of("gpu_uuid"),
          "nv_gpu_memory_total_bytes", Set.of("gpu_uuid"),
          "nv_gpu_power_usage", Set.of("gpu_uuid"));

  /** Labels Prometheus adds to every scraped series. */
  static final Set<String> TARGET_LABELS = Set.of("job", "instance");

  /** Series Prometheus makes itself. */
  static final Map<String, Set<String>> SYNTHETIC = Map.of("up", Set.of());

  private Metrics() {}

  private static Family counter(String source, String name, String... labels) {
    return new Family(source, name, Set.of(name + "_total"), Set.of(labels));
  }

  private static Family gauge(String source, String name, String... labels) {
    return new Family(source, name, Set.of(name), Set.of(labels));
  }

  private static Family histogram(String source, String name, String... labels) {
    Set<String> all = new TreeSet<>(Set.of(labels));
    all.add("le");
    return new Family(source, name, Set.of(name + "_bucket", name + "_count", name + "_sum"), all);
  }

  /**
   * {exported series name -> its labels} for every family, Triton's GPU ones and Prometheus' own.
   */
  static Map<String, Set<String>> exported() {
    Map<String, Set<String>> series = new LinkedHashMap<>(SYNTHETIC);
    series.putAll(TRITON_ONLY);
    for (Family f : FAMILIES) {
      for (String s : f.series()) {
        Set<String> labels = new TreeSet<>(f.labels());
        if (!s.endsWith("_bucket")) {
          labels.remove("le");
        }
        series.put(s, labels);
      }
    }
    return series;
  }

  private static final Set<String> PROMQL_WORDS =
      Set.of(
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "and",
          "or",
          "unless",
          "bool",
          "offset",
          "inf",
          "nan");

  /**
   * Metric names in a PromQL expression: identifiers that are not functions (followed by "("),
   * keywords, label names in a matcher or grouping, or strings. Crude, and enough for the rules and
   * dashboards written here.
   */
  static Set<String> metricNames(String expr) {
    String e = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"");
    e = e.replaceAll("\\{[^}]*}", " ");
    e = e.replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
    e = e.replaceAll("\\[[^]]*]", " ");
    e = e.replaceAll("\\$\\w+", " ");
    Set<String> names = new TreeSet<>();
    Matcher m = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*").matcher(e);
    while (m.find()) {
      String word = m.group();
      int after = m.end();
      while (after < e.length() && Character.isWhitespace(e.charAt(after))) {
        after++;
      }
      boolean call = after < e.length() && e.charAt(after) == '(';
      boolean number = m.start() > 0 && Character.isDigit(e.charAt(m.start() - 1));
      if (!call && !number && !PROMQL_WORDS.contains(word.toLowerCase())) {
        names.add(word);
      }
    }
    return names;
  }

  /** Label names an expression refers to: in matchers and in by/without/on/ignoring lists. */
  static Set<String> labelNames(String expr) {
    String e = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"");
    Set<String> labels = new TreeSet<>();
    Matcher matchers = Pattern.compile("\\{([^}]*)}").matcher(e);
    while (matchers.find()) {
      Matcher one = Pattern.compile("([a-zA-Z_]\\w*)\\s*(=~|!~|!=|=)").matcher(matchers.group(1));
      while (one.find()) {
        labels.add(one.group(1));
      }
    }
    Matcher groups = Pattern.compile("\\b(?:by|without|on|ignoring)\\s*\\(([^)]*)\\)").matcher(e);
    while (groups.find()) {
      for (String label : groups.group(1).split(",")) {
        if (!label.isBlank()) {
          labels.add(label.trim());
        }
      }
    }
    return labels;
  }
}
