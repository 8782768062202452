package dev.framecast.node;

import static dev.framecast.node.NodeClient.simple;
import static dev.framecast.node.NodeClient.statusOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** /metrics in Prometheus text with Triton's names and labels, moving as requests run. */
class MetricsTest {
  private static InferenceNode node;
  private static NodeClient client;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    node =
        InferenceNode.start(
            NodeOptions.builder(ConformanceTest.REPOSITORY)
                .host("127.0.0.1")
                .port(0)
                .metricsPort(0)
                .loadModel("simple")
                .loadModel("nobatch")
                .build());
    client = new NodeClient(node.port());
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  void seriesExistAtZeroWhenTheModelLoads() throws Exception {
    String text = scrape();
    assertThat(text).contains("# TYPE nv_inference_request_success gauge");
    assertThat(text)
        .contains(
            "# HELP nv_inference_request_success Number of successful inference requests, all"
                + " batch sizes");
    assertThat(value(text, "nv_inference_pending_request_count", "nobatch")).isZero();
    assertThat(text).contains("framecast_node_info{runtime=\"onnxruntime-cpu\"} 1");
    assertThat(SimulatedNodeTest.value(text, "framecast_node_simulated")).isZero();
    assertThat(text).doesNotContain("framecast_node_gpu_busy_seconds");
  }

  @Test
  void countsAndDurationsMoveWithSuccessesAndFailures() throws Exception {
    String before = scrape();
    client.blocking().modelInfer(simple("simple", "", 3, 0f));
    client.blocking().modelInfer(simple("simple", "", 1, 0f));
    String after = scrape();

    assertThat(value(after, "nv_inference_request_success", "simple"))
        .isEqualTo(value(before, "nv_inference_request_success", "simple") + 2);
    assertThat(value(after, "nv_inference_count", "simple"))
        .isEqualTo(value(before, "nv_inference_count", "simple") + 4);
    assertThat(value(after, "nv_inference_exec_count", "simple"))
        .isGreaterThan(value(before, "nv_inference_exec_count", "simple"));
    assertThat(value(after, "nv_inference_request_duration_us", "simple"))
        .isGreaterThan(value(before, "nv_inference_request_duration_us", "simple"));
    assertThat(value(after, "nv_inference_compute_infer_duration_us", "simple"))
        .isGreaterThan(value(before, "nv_inference_compute_infer_duration_us", "simple"));
    assertThat(value(after, "nv_inference_queue_duration_us", "simple"))
        .isGreaterThanOrEqualTo(value(before, "nv_inference_queue_duration_us", "simple"));

    // A backend-side failure (injected) is counted with its reason; validation errors are not,
    // as in Triton.
    node.faults().failNext("simple", 1);
    statusOf(() -> client.blocking().modelInfer(simple("simple", "", 1, 0f)));
    statusOf(() -> client.blocking().modelInfer(simple("simple", "", 99, 0f)));
    String failed = scrape();
    assertThat(value(failed, "nv_inference_request_success", "simple"))
        .isEqualTo(value(after, "nv_inference_request_success", "simple"));
    assertThat(failures(failed, "simple", "BACKEND"))
        .isEqualTo(failures(after, "simple", "BACKEND") + 1);
    assertThat(failures(failed, "simple", "REJECTED"))
        .isEqualTo(failures(after, "simple", "REJECTED"));
    assertThat(failures(failed, "simple", "CANCELED")).isZero();
  }

  @Test
  void theMetricsPortAnswersTritonsHealthEndpointsForKubernetesProbes() throws Exception {
    assertThat(get("/v2/health/live")).isEqualTo(200);
    assertThat(get("/v2/health/ready")).isEqualTo(200);
    assertThat(get("/v2/health/elsewhere")).isEqualTo(404);

    node.faults().setNotReady("*", true);
    try {
      assertThat(get("/v2/health/ready")).isEqualTo(503);
      assertThat(get("/v2/health/live")).isEqualTo(200);
    } finally {
      node.faults().setNotReady("*", false);
    }
  }

  private static int get(String path) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.metricsPort() + path))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static double failures(String text, String model, String reason) {
    Matcher m =
        Pattern.compile(
                "^nv_inference_request_failure\\{model=\""
                    + Pattern.quote(model)
                    + "\",reason=\""
                    + reason
                    + "\",version=\"1\"\\} (\\S+)$",
                Pattern.MULTILINE)
            .matcher(text);
    assertThat(m.find()).as("failure series " + reason + " in\n" + text).isTrue();
    return Double.parseDouble(m.group(1));
  }

  private static String scrape() throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + node.metricsPort() + "/metrics"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  /** The value of {@code name{model="model",version="1"}} in Prometheus text. */
  private static double value(String text, String name, String model) {
    Matcher m =
        Pattern.compile(
                "^"
                    + Pattern.quote(name)
                    + "\\{model=\""
                    + Pattern.quote(model)
                    + "\",version=\"1\"\\} (\\S+)$",
                Pattern.MULTILINE)
            .matcher(text);
    assertThat(m.find()).as(name + " for " + model + " in\n" + text).isTrue();
    return Double.parseDouble(m.group(1));
  }
}
