package dev.framecast.deploy.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.framecast.deploy.manifests.Metrics.Family;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/prometheus and deploy/grafana against what the applications export: every series and label
 * the alert rules and the dashboard query exists, every alert has unit tests that show it firing
 * and not firing, and the scrape jobs match the Kubernetes ServiceMonitors.
 */
class MonitoringTest {
  static final String RULES = "deploy/prometheus/rules/framecast.yml";
  static final String RULE_TESTS = "deploy/prometheus/tests/framecast_test.yml";
  static final String DASHBOARD = "deploy/grafana/dashboards/framecast.json";

  /** The alerts issue 8 asks for, each by the name it has here. */
  static final Set<String> REQUIRED_ALERTS =
      Set.of(
          "FramecastQueueBacklog",
          "FramecastNodeDown",
          "FramecastStepErrorRatioHigh",
          "FramecastQuotaExhausted",
          "FramecastSlowFirstEvent");

  @Test
  void metricFamiliesHereAreTheOnesTheSourcesRegister() {
    Map<String, Set<String>> registered = new LinkedHashMap<>();
    for (Family f : Metrics.FAMILIES) {
      registered.computeIfAbsent(f.source(), k -> new TreeSet<>()).add(f.registered());
      assertThat(Repo.read(f.source()))
          .as("%s registers %s", f.source(), f.registered())
          .contains("\"" + f.registered() + "\"");
    }
    Pattern literal = Pattern.compile("\"((?:framecast|nv)[._][a-z0-9_.]+)\"");
    registered.forEach(
        (source, names) -> {
          Matcher m = literal.matcher(Repo.read(source));
          while (m.find()) {
            assertThat(names)
                .as("%s registers %s; add it to Metrics", source, m.group(1))
                .contains(m.group(1));
          }
        });
  }

  @Test
  void alertRulesQueryOnlyExportedSeriesAndTheirLabels() {
    for (Map<String, Object> rule : rules()) {
      assertQueriesExported("alert " + rule.get("alert"), Tree.str(rule, "expr"));
    }
  }

  @Test
  void everyAlertIsDocumentedAndUnitTestedFiringAndNotFiring() {
    Set<String> alerts = new TreeSet<>();
    for (Map<String, Object> rule : rules()) {
      String alert = Tree.str(rule, "alert");
      alerts.add(alert);
      assertThat(Tree.str(rule, "labels.severity")).as(alert).isIn("critical", "warning", "info");
      assertThat(Tree.map(rule, "annotations")).as(alert).containsKeys("summary", "description");
    }
    assertThat(alerts).containsAll(REQUIRED_ALERTS);

    Map<String, Object> tests = Repo.yaml(RULE_TESTS);
    assertThat(Tree.list(tests, "rule_files")).containsExactly("../rules/framecast.yml");
    Set<String> firing = new TreeSet<>();
    Set<String> quiet = new TreeSet<>();
    for (Map<String, Object> test : Tree.maps(tests, "tests")) {
      for (Map<String, Object> check : Tree.maps(test, "alert_rule_test")) {
        String alert = Tree.str(check, "alertname");
        (Tree.list(check, "exp_alerts").isEmpty() ? quiet : firing).add(alert);
      }
    }
    assertThat(firing).as("alerts tested firing").isEqualTo(alerts);
    assertThat(quiet).as("alerts tested not firing").isEqualTo(alerts);
  }

  @Test
  void quotaAlertUsesTheReasonLabelTheSchedulerWrites() {
    // SchedulerCore: reason = the AdmissionException's simple name without "Exception".
    assertThat(
            Repo.read("scheduler/src/main/java/dev/framecast/scheduler/service/SchedulerCore.java"))
        .contains("getSimpleName().replace(\"Exception\", \"\")");
    Matcher reasons = Pattern.compile("reason=\"(\\w+)\"").matcher(Repo.read(RULES));
    while (reasons.find()) {
      assertThat(
              Repo.path(
                  "common/src/main/java/dev/framecast/common/errors/"
                      + reasons.group(1)
                      + "Exception.java"))
          .isRegularFile();
    }
  }

  @Test
  void dashboardQueriesOnlyExportedSeriesThroughItsDataSourceVariable() throws IOException {
    JsonNode dashboard = new ObjectMapper().readTree(Repo.read(DASHBOARD));
    assertThat(dashboard.path("uid").asText()).isEqualTo("framecast");
    JsonNode datasource = dashboard.path("templating").path("list").get(0);
    assertThat(datasource.path("type").asText()).isEqualTo("datasource");
    assertThat(datasource.path("query").asText()).isEqualTo("prometheus");
    String variable = "${" + datasource.path("name").asText() + "}";

    Set<String> queried = new TreeSet<>();
    Set<Integer> ids = new TreeSet<>();
    int targets = 0;
    for (JsonNode panel : dashboard.path("panels")) {
      assertThat(ids.add(panel.path("id").asInt())).as("unique panel ids").isTrue();
      if (panel.path("type").asText().equals("row")) {
        continue;
      }
      assertThat(panel.path("datasource").path("uid").asText()).isEqualTo(variable);
      for (JsonNode target : panel.path("targets")) {
        String expr = target.path("expr").asText();
        assertQueriesExported("panel '" + panel.path("title").asText() + "'", expr);
        queried.addAll(Metrics.metricNames(expr));
        targets++;
      }
    }
    assertThat(targets).isGreaterThan(10);
    for (JsonNode var : dashboard.path("templating").path("list")) {
      if (var.path("type").asText().equals("query")) {
        assertQueriesExported("variable " + var.path("name").asText(), labelValuesMetric(var));
      }
    }
    // What the issue asks the dashboard to show.
    assertThat(queried)
        .contains(
            "framecast_scheduler_jobs_admitted_total", // per-tenant throughput
            "framecast_scheduler_gpu_seconds_total", // per-tenant GPU-seconds
            "framecast_scheduler_queue_depth",
            "framecast_scheduler_node_request_seconds_bucket", // step latency
            "framecast_scheduler_batch_size_bucket",
            "framecast_scheduler_node_healthy",
            "framecast_gateway_event_lag_seconds_bucket");
  }

  @Test
  void scrapeJobsAreTheServiceMonitorsServicesWithTheSamePaths() {
    Map<String, String> jobs = new LinkedHashMap<>();
    for (Map<String, Object> job :
        Tree.maps(Repo.yaml("deploy/prometheus/prometheus.yml"), "scrape_configs")) {
      String path = Tree.str(job, "metrics_path");
      jobs.put(Tree.str(job, "job_name"), path == null ? "/metrics" : path);
    }
    Map<String, String> monitors = new LinkedHashMap<>();
    for (Map<String, Object> monitor :
        Repo.yamlDocuments(Repo.read("deploy/k8s/base/service-monitors.yaml"))) {
      // The Prometheus Operator's job label is the Service name; these select one Service each.
      String service =
          Tree.labels(monitor, "spec.selector.matchLabels").get("app.kubernetes.io/name");
      monitors.put(service, Tree.str(Tree.maps(monitor, "spec.endpoints").get(0), "path"));
    }
    assertThat(jobs).isEqualTo(monitors);
    assertThat(Tree.list(Repo.yaml("deploy/prometheus/prometheus.yml"), "rule_files"))
        .containsExactly("rules/*.yml");
  }

  private static void assertQueriesExported(String where, String expr) {
    Map<String, Set<String>> exported = Metrics.exported();
    Set<String> names = Metrics.metricNames(expr);
    assertThat(names).as("%s queries a metric: %s", where, expr).isNotEmpty();
    Set<String> labels = new TreeSet<>(Metrics.TARGET_LABELS);
    for (String name : names) {
      assertThat(exported).as("%s: %s is exported", where, name).containsKey(name);
      labels.addAll(exported.get(name));
      if (name.endsWith("_bucket")) {
        labels.add("le");
      }
    }
    assertThat(labels).as("%s: labels of %s", where, expr).containsAll(Metrics.labelNames(expr));
  }

  private static String labelValuesMetric(JsonNode variable) {
    String query = variable.path("definition").asText();
    return Repo.firstGroup(query, "label_values\\(([^,]+),");
  }

  private static List<Map<String, Object>> rules() {
    List<Map<String, Object>> rules = new ArrayList<>();
    for (Map<String, Object> group : Tree.maps(Repo.yaml(RULES), "groups")) {
      rules.addAll(Tree.maps(group, "rules"));
    }
    assertThat(rules).isNotEmpty();
    return rules;
  }
}
