package dev.framecast.deploy.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.JobEvent;
import io.grpc.Status;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Every metric the Prometheus alert rules ({@code deploy/prometheus}) and the Grafana dashboards
 * ({@code deploy/grafana}) query is one the running gateway, scheduler or inference node exports: a
 * renamed metric fails here instead of leaving an alert that never fires or an empty panel.
 */
@ExtendWith(PlatformExtension.class)
class ExportedMetricsIT {
  /**
   * Names no Framecast process exports, and why they may be queried anyway. Prometheus makes {@code
   * up} and {@code ALERTS}; Triton on GPU nodes exports {@code nv_gpu_*} and {@code nv_energy_*},
   * which the CPU inference node (the one that runs here) cannot.
   */
  static final Set<String> EXTERNAL = Set.of("up", "ALERTS", "ALERTS_FOR_STATE");

  static final List<String> EXTERNAL_PREFIXES = List.of("nv_gpu_", "nv_energy_");

  private static final ObjectMapper JSON = new ObjectMapper();
  private static Set<String> exported;

  /**
   * Traffic first, since per-tenant and per-node series appear with their first sample: a clip for
   * acme and a refused request.
   */
  @BeforeAll
  static void exerciseAndScrape(Platform platform) throws Exception {
    String acme =
        platform.oidc.clientCredentials(Keycloak.REALM, "acme", KeycloakPlatformIT.ACME_SECRET);
    try (GatewayClient client = new GatewayClient(platform.gatewayPort)) {
      List<JobEvent> events = client.generate(acme, "a green dot moving up", 1);
      assertThat(events).last().matches(JobEvent::hasCompleted, "completed");
      assertThat(
              GatewayClient.failure(
                  () ->
                      client
                          .as(acme)
                          .submitJob(
                              GenerateRequest.newBuilder()
                                  .setPrompt("too many steps")
                                  .setSteps(100_000)
                                  .build())))
          .isEqualTo(Status.Code.INVALID_ARGUMENT);
    }
    Set<String> names = new TreeSet<>();
    names.addAll(
        Exposition.names(
            platform.get("http://127.0.0.1:" + platform.gatewayManagementPort + "/q/metrics")));
    names.addAll(
        Exposition.names(
            platform.get("http://127.0.0.1:" + platform.schedulerMetricsPort + "/metrics")));
    names.addAll(
        Exposition.names(
            platform.get("http://127.0.0.1:" + platform.nodeMetricsPort + "/metrics")));
    exported = names;
  }

  @Test
  void everyMetricTheAlertRulesQueryIsExported(Platform platform) throws IOException {
    Map<String, Set<String>> queried = new TreeMap<>();
    Set<String> recorded = new TreeSet<>();
    List<Path> ruleFiles = files(platform.root.resolve("deploy/prometheus"), ".yml", ".yaml");
    for (Path file : ruleFiles) {
      Object document;
      try (Reader reader = Files.newBufferedReader(file)) {
        document = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
      }
      if (!(document instanceof Map<?, ?> top) || !(top.get("groups") instanceof List<?> groups)) {
        continue; // prometheus.yml, rule unit tests
      }
      for (Object group : groups) {
        for (Object rule : (List<?>) ((Map<?, ?>) group).get("rules")) {
          Map<?, ?> fields = (Map<?, ?>) rule;
          if (fields.get("record") != null) {
            recorded.add(fields.get("record").toString());
          }
          collect(queried, fields.get("expr").toString(), platform.root.relativize(file));
        }
      }
    }
    assertThat(queried).as("metrics queried by the rules in deploy/prometheus").isNotEmpty();
    recorded.forEach(queried::remove);
    assertAllExported(queried);
  }

  @Test
  void everyMetricTheGrafanaDashboardsQueryIsExported(Platform platform) throws IOException {
    List<Path> dashboards = files(platform.root.resolve("deploy/grafana"), ".json");
    assumeFalse(dashboards.isEmpty(), "no Grafana dashboard in deploy/grafana yet");
    Map<String, Set<String>> queried = new TreeMap<>();
    for (Path dashboard : dashboards) {
      List<String> queries = new ArrayList<>();
      queries(JSON.readTree(dashboard.toFile()), queries);
      for (String query : queries) {
        collect(queried, query, platform.root.relativize(dashboard));
      }
    }
    assertThat(queried).as("metrics queried by the dashboards in deploy/grafana").isNotEmpty();
    assertAllExported(queried);
  }

  /**
   * Every {@code expr} (panel targets), and the {@code query} of template variables of type {@code
   * query} (a string, or an object with a {@code query} string); other variables' {@code query} is
   * no PromQL (a data source variable's is a plugin id).
   */
  private static void queries(JsonNode node, List<String> out) {
    if (node.isObject()) {
      if ("query".equals(node.path("type").asText()) && node.has("query")) {
        JsonNode query = node.get("query");
        out.add(query.isTextual() ? query.asText() : query.path("query").asText(""));
      }
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        if (field.getKey().equals("expr") && field.getValue().isTextual()) {
          out.add(field.getValue().asText());
        } else if (!field.getKey().equals("query")) {
          queries(field.getValue(), out);
        }
      }
    } else if (node.isArray()) {
      node.forEach(element -> queries(element, out));
    }
  }

  private static void collect(Map<String, Set<String>> queried, String query, Path where) {
    for (String name : PromQl.metricNames(query)) {
      queried.computeIfAbsent(name, n -> new TreeSet<>()).add(where.toString());
    }
  }

  private static void assertAllExported(Map<String, Set<String>> queried) {
    Map<String, Set<String>> missing = new TreeMap<>();
    queried.forEach(
        (name, where) -> {
          boolean external =
              EXTERNAL.contains(name) || EXTERNAL_PREFIXES.stream().anyMatch(name::startsWith);
          if (!external && !exported.contains(name)) {
            missing.put(name, where);
          }
        });
    assertThat(missing)
        .as(
            "metrics queried (name -> files) that neither the gateway, the scheduler nor the"
                + " node exports; they export:\n"
                + String.join("\n", framecastNames()))
        .isEmpty();
  }

  private static List<String> framecastNames() {
    return exported.stream()
        .filter(n -> n.startsWith("framecast_") || n.startsWith("nv_inference_"))
        .toList();
  }

  private static List<Path> files(Path dir, String... suffixes) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile)
          .filter(f -> Stream.of(suffixes).anyMatch(s -> f.toString().endsWith(s)))
          .sorted()
          .toList();
    }
  }
}
