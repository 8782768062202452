package dev.framecast.node;

import static dev.framecast.node.NodeClient.floats;
import static dev.framecast.node.NodeClient.input;
import static dev.framecast.node.NodeClient.longs;
import static dev.framecast.node.NodeClient.output;
import static dev.framecast.node.NodeClient.outputTensor;
import static dev.framecast.node.NodeClient.toFloats;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.inference.v2.ModelMetadataRequest;
import dev.framecast.inference.v2.ModelMetadataResponse;
import dev.framecast.inference.v2.ServerReadyRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The node serving the platform's own model repository (triton-models/) over real gRPC. */
class ReferenceModelsTest {
  private static InferenceNode node;
  private static NodeClient client;

  @BeforeAll
  static void start() throws Exception {
    Path repository = Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
    node =
        InferenceNode.start(
            NodeOptions.builder(repository).host("127.0.0.1").port(0).metricsPort(-1).build());
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
  void servesTheThreeModelsAndIsReady() {
    assertThat(client.blocking().serverReady(ServerReadyRequest.getDefaultInstance()).getReady())
        .isTrue();
    ModelMetadataResponse dit =
        client.blocking().modelMetadata(ModelMetadataRequest.newBuilder().setName("dit").build());
    assertThat(dit.getInputsList())
        .extracting(t -> t.getName() + t.getShapeList())
        .contains("latents[-1, 4, 16, 16, 16]", "guidance_scale[-1, 1]");
  }

  @Test
  void thirtyTwoConcurrentTextEncoderClientsMatchSerialResults() throws Exception {
    List<ModelInferRequest> requests = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      requests.add(encode("a shape number " + i + " moving " + (i % 2 == 0 ? "left" : "up")));
    }
    List<ModelInferResponse> serial = new ArrayList<>();
    for (ModelInferRequest request : requests) {
      serial.add(client.blocking().modelInfer(request));
    }
    List<CompletableFuture<ModelInferResponse>> concurrent = new ArrayList<>();
    for (ModelInferRequest request : requests) {
      concurrent.add(CompletableFuture.supplyAsync(() -> client.blocking().modelInfer(request)));
    }
    for (int i = 0; i < 32; i++) {
      ModelInferResponse response = concurrent.get(i).get(120, TimeUnit.SECONDS);
      assertThat(outputTensor(response, "text_embeddings").getShapeList())
          .containsExactly(1L, 64L, 128L);
      // Merged into batches by the dynamic batcher, yet bit-identical to the request alone.
      assertThat(response.getRawOutputContentsList())
          .isEqualTo(serial.get(i).getRawOutputContentsList());
    }
  }

  @Test
  void ditStepOverTheWireIsFiniteAndDenoisedAgreesWithTheUpdate() {
    SplittableRandom random = new SplittableRandom(5);
    float[] latents = new float[4 * 16 * 16 * 16];
    for (int i = 0; i < latents.length; i++) {
      latents[i] = (float) random.nextGaussian();
    }
    ModelInferResponse text = client.blocking().modelInfer(encode("a red circle moving right"));
    ModelInferResponse empty = client.blocking().modelInfer(encode(""));
    ModelInferRequest step =
        ModelInferRequest.newBuilder()
            .setModelName("dit")
            .addInputs(input("latents", "FP32", 1, 4, 16, 16, 16))
            .addInputs(input("timestep", "FP32", 1, 1))
            .addInputs(input("next_timestep", "FP32", 1, 1))
            .addInputs(input("text_embeddings", "FP32", 1, 64, 128))
            .addInputs(input("attention_mask", "FP32", 1, 64))
            .addInputs(input("negative_text_embeddings", "FP32", 1, 64, 128))
            .addInputs(input("negative_attention_mask", "FP32", 1, 64))
            .addInputs(input("guidance_scale", "FP32", 1, 1))
            .addInputs(input("noise_seed", "INT64", 1, 1))
            .addInputs(input("noise_stream", "INT64", 1, 1))
            .addInputs(input("stochasticity", "FP32", 1, 1))
            .addRawInputContents(floats(latents))
            .addRawInputContents(floats(1f))
            .addRawInputContents(floats(0.5f))
            .addRawInputContents(output(text, "text_embeddings"))
            .addRawInputContents(output(text, "attention_mask"))
            .addRawInputContents(output(empty, "text_embeddings"))
            .addRawInputContents(output(empty, "attention_mask"))
            .addRawInputContents(floats(4f))
            .addRawInputContents(longs(5))
            .addRawInputContents(longs(1))
            .addRawInputContents(floats(0f)) // the Euler step: no fresh noise
            .build();
    ModelInferResponse response = client.blocking().modelInfer(step);
    float[] next = toFloats(output(response, "next_latents"));
    float[] denoised = toFloats(output(response, "denoised"));
    // x_next = x + (t_next - t) v and denoised = x - t v, so denoised = 2 x_next - x at t = 1,
    // t_next = 0.5: the graph's two outputs agree with one velocity.
    for (int i = 0; i < next.length; i++) {
      assertThat(Float.isFinite(next[i])).isTrue();
      assertThat(denoised[i])
          .isCloseTo(2 * next[i] - latents[i], org.assertj.core.data.Offset.offset(1e-3f));
    }
  }

  @Test
  void videoSizedResponsesAboveFourMebibytesGoThrough() {
    int batch = 24;
    float[] latents = new float[batch * 4 * 16 * 16 * 16];
    ModelInferRequest request =
        ModelInferRequest.newBuilder()
            .setModelName("vae")
            .addInputs(input("latents", "FP32", batch, 4, 16, 16, 16))
            .addRawInputContents(floats(latents))
            .build();
    ModelInferResponse response = client.blocking().modelInfer(request);
    assertThat(response.getOutputs(0).getDatatype()).isEqualTo("UINT8");
    assertThat(response.getOutputs(0).getShapeList())
        .containsExactly((long) batch, 16L, 64L, 64L, 3L);
    assertThat(response.getRawOutputContents(0).size())
        .isEqualTo(batch * 16 * 64 * 64 * 3)
        .isGreaterThan(4 << 20);
  }

  private static ModelInferRequest encode(String prompt) {
    byte[] bytes = prompt.getBytes(StandardCharsets.UTF_8);
    ByteBuffer ids = ByteBuffer.allocate(64 * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 64; i++) {
      ids.putLong(i < bytes.length ? (bytes[i] & 0xFF) + 1 : 0);
    }
    return ModelInferRequest.newBuilder()
        .setModelName("text_encoder")
        .addInputs(input("input_ids", "INT64", 1, 64))
        .addRawInputContents(ByteString.copyFrom(ids.array()))
        .build();
  }
}
