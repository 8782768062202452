package dev.framecast.node;

import static dev.framecast.node.NodeClient.floats;
import static dev.framecast.node.NodeClient.input;
import static dev.framecast.node.NodeClient.longs;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.inference.v2.ModelMetadataRequest;
import dev.framecast.inference.v2.ModelMetadataResponse;
import dev.framecast.inference.v2.RepositoryIndexRequest;
import dev.framecast.inference.v2.RepositoryIndexResponse;
import dev.framecast.inference.v2.ServerMetadataRequest;
import dev.framecast.inference.v2.ServerMetadataResponse;
import dev.framecast.inference.v2.ServerReadyRequest;
import dev.framecast.node.sim.SimulatedGpu;
import dev.framecast.node.sim.SimulatedProfile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A simulated node (load tests) over the platform's real model repository: the same protocol and
 * model metadata, outputs of the right shapes after the profile's latency, and it says it is
 * simulated in ServerMetadata and /metrics.
 */
class SimulatedNodeTest {
  private static final Path REPOSITORY =
      Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir static Path dir;
  private static SimulatedProfile profile;
  private static InferenceNode node;
  private static NodeClient client;

  @BeforeAll
  static void start() throws Exception {
    Path file = dir.resolve("tiny.csv");
    Files.writeString(
        file,
        """
        # a tiny profile: every model of triton-models/
        model,batch,latency_ms
        dit,1,5
        dit,2,8
        text_encoder,1,1
        vae,1,2
        """);
    profile = SimulatedProfile.load(file);
    node =
        InferenceNode.start(
            NodeOptions.builder(REPOSITORY)
                .host("127.0.0.1")
                .port(0)
                .metricsPort(0)
                .simulate(profile)
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
  void servesTheSameModelsAndSaysItIsSimulated() {
    assertThat(client.blocking().serverReady(ServerReadyRequest.getDefaultInstance()).getReady())
        .isTrue();
    ServerMetadataResponse server =
        client.blocking().serverMetadata(ServerMetadataRequest.getDefaultInstance());
    assertThat(server.getName()).isEqualTo("framecast-inference-node-simulated");
    assertThat(server.getExtensionsList()).contains("simulated", "model_configuration");
    ModelMetadataResponse dit =
        client.blocking().modelMetadata(ModelMetadataRequest.newBuilder().setName("dit").build());
    assertThat(dit.getPlatform()).isEqualTo("onnxruntime_onnx");
    assertThat(dit.getInputsList())
        .extracting(t -> t.getName() + t.getShapeList())
        .contains("latents[-1, 4, 16, 16, 16]", "guidance_scale[-1, 1]");
    assertThat(node.simulatedGpu()).isPresent();
    assertThat(node.repository().model("dit").orElseThrow().readyVersions().get(1L).instances())
        .isEqualTo(1);
  }

  @Test
  void aDitStepOfTwoRowsReturnsItsLatentsAfterTheProfileLatency() {
    SimulatedGpu gpu = node.simulatedGpu().orElseThrow();
    long executions = gpu.executions();
    float[] latents = new float[2 * 4 * 16 * 16 * 16];
    SplittableRandom random = new SplittableRandom(11);
    for (int i = 0; i < latents.length; i++) {
      latents[i] = (float) random.nextGaussian();
    }
    ByteString latentBytes = floats(latents);
    ModelInferRequest step =
        ModelInferRequest.newBuilder()
            .setModelName("dit")
            .setId("step-1")
            .addInputs(input("latents", "FP32", 2, 4, 16, 16, 16))
            .addInputs(input("timestep", "FP32", 2, 1))
            .addInputs(input("next_timestep", "FP32", 2, 1))
            .addInputs(input("text_embeddings", "FP32", 2, 64, 128))
            .addInputs(input("attention_mask", "FP32", 2, 64))
            .addInputs(input("negative_text_embeddings", "FP32", 2, 64, 128))
            .addInputs(input("negative_attention_mask", "FP32", 2, 64))
            .addInputs(input("guidance_scale", "FP32", 2, 1))
            .addInputs(input("noise_seed", "INT64", 2, 1))
            .addInputs(input("noise_stream", "INT64", 2, 1))
            .addInputs(input("stochasticity", "FP32", 2, 1))
            .addRawInputContents(latentBytes)
            .addRawInputContents(floats(1f, 1f))
            .addRawInputContents(floats(0.5f, 0.5f))
            .addRawInputContents(floats(new float[2 * 64 * 128]))
            .addRawInputContents(floats(new float[2 * 64]))
            .addRawInputContents(floats(new float[2 * 64 * 128]))
            .addRawInputContents(floats(new float[2 * 64]))
            .addRawInputContents(floats(4f, 4f))
            .addRawInputContents(longs(7, 8))
            .addRawInputContents(longs(1, 1))
            .addRawInputContents(floats(1f, 1f))
            .build();

    long start = System.nanoTime();
    ModelInferResponse response = client.blocking().modelInfer(step);
    long elapsed = System.nanoTime() - start;

    assertThat(elapsed).isGreaterThanOrEqualTo(profile.latency("dit", 2).toNanos());
    assertThat(response.getId()).isEqualTo("step-1");
    assertThat(response.getOutputsList())
        .extracting(o -> o.getName() + ":" + o.getDatatype() + o.getShapeList())
        .containsExactly("denoised:FP32[2, 4, 16, 16, 16]", "next_latents:FP32[2, 4, 16, 16, 16]");
    assertThat(response.getRawOutputContentsList()).containsExactly(latentBytes, latentBytes);
    assertThat(gpu.executions()).isEqualTo(executions + 1);
  }

  @Test
  void aVaePreviewDecodesToAsManyFramesAsLatentFrames() {
    ModelInferRequest preview =
        ModelInferRequest.newBuilder()
            .setModelName("vae")
            .addInputs(input("latents", "FP32", 1, 4, 3, 16, 16))
            .addRawInputContents(floats(new float[4 * 3 * 16 * 16]))
            .build();
    ModelInferResponse response = client.blocking().modelInfer(preview);
    assertThat(response.getOutputs(0).getName()).isEqualTo("frames");
    assertThat(response.getOutputs(0).getDatatype()).isEqualTo("UINT8");
    assertThat(response.getOutputs(0).getShapeList()).containsExactly(1L, 3L, 64L, 64L, 3L);
    assertThat(response.getRawOutputContents(0))
        .isEqualTo(ByteString.copyFrom(new byte[3 * 64 * 64 * 3]));
  }

  @Test
  void metricsSayTheNodeIsSimulatedAndCountGpuBusyTime() throws Exception {
    client
        .blocking()
        .modelInfer(
            ModelInferRequest.newBuilder()
                .setModelName("text_encoder")
                .addInputs(input("input_ids", "INT64", 1, 64))
                .addRawInputContents(ByteString.copyFrom(new byte[64 * 8]))
                .build());
    String text = scrape();
    assertThat(value(text, "framecast_node_simulated")).isEqualTo(1);
    assertThat(text).contains("framecast_node_info{runtime=\"simulated\"} 1");
    assertThat(text).containsPattern("# TYPE framecast_node_gpu_busy_seconds(_total)? counter");
    // At least the text encoder's 1 ms is counted.
    assertThat(value(text, "framecast_node_gpu_busy_seconds_total")).isGreaterThanOrEqualTo(0.001);
    assertThat(text)
        .containsPattern(
            "(?m)^nv_inference_exec_count\\{model=\"text_encoder\",version=\"1\"\\} [1-9]");
  }

  @Test
  void noModelFileIsNeededAndAModelMissingFromTheProfileFailsToLoad(@TempDir Path repo)
      throws Exception {
    for (String model : new String[] {"text_encoder", "dit", "vae"}) {
      Files.createDirectories(repo.resolve(model).resolve("1"));
      Files.copy(
          REPOSITORY.resolve(model).resolve("config.pbtxt"),
          repo.resolve(model).resolve("config.pbtxt"));
    }
    Path file = repo.resolveSibling(repo.getFileName() + "-no-vae.csv");
    Files.writeString(file, "dit,1,1\ntext_encoder,1,1\n");
    try (InferenceNode partial =
            InferenceNode.start(
                NodeOptions.builder(repo)
                    .host("127.0.0.1")
                    .port(0)
                    .metricsPort(-1)
                    .simulate(SimulatedProfile.load(file))
                    .build());
        NodeClient other = new NodeClient(partial.port())) {
      assertThat(partial.ready()).isFalse();
      RepositoryIndexResponse index =
          other.blocking().repositoryIndex(RepositoryIndexRequest.getDefaultInstance());
      assertThat(index.getModelsList())
          .extracting(m -> m.getName() + " " + m.getState())
          .containsExactly("dit READY", "text_encoder READY", "vae UNAVAILABLE");
      assertThat(index.getModels(2).getReason())
          .isEqualTo(
              "simulation profile "
                  + file
                  + " has no points for model 'vae' (add lines vae,BATCH,LATENCY_MS)");
    }
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

  /** The value of an unlabelled series in Prometheus text. */
  static double value(String text, String name) {
    Matcher m =
        Pattern.compile("^" + Pattern.quote(name) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
    assertThat(m.find()).as(name + " in\n" + text).isTrue();
    return Double.parseDouble(m.group(1));
  }
}
