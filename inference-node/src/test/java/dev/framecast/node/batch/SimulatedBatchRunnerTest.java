package dev.framecast.node.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.framecast.inference.v2.DataType;
import dev.framecast.inference.v2.ModelConfig;
import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.inference.v2.ModelInput;
import dev.framecast.inference.v2.ModelOutput;
import dev.framecast.inference.v2.ModelParameter;
import dev.framecast.inference.v2.ModelStatistics;
import dev.framecast.node.infer.InferenceException;
import dev.framecast.node.infer.ModelSignature;
import dev.framecast.node.infer.OutputTensor;
import dev.framecast.node.infer.RequestDecoder;
import dev.framecast.node.metrics.ModelStats;
import dev.framecast.node.metrics.NodeMetrics;
import dev.framecast.node.repository.ModelConfigs;
import dev.framecast.node.sim.SimulatedGpu;
import dev.framecast.node.sim.SimulatedProfile;
import dev.framecast.node.tensor.Shapes;
import dev.framecast.node.tensor.TensorSpec;
import io.grpc.Status;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The simulated runner on the reference models' own configs (triton-models/): output names, types,
 * shapes and contents, the time a batch holds the GPU (lower bounds only), and its statistics.
 */
class SimulatedBatchRunnerTest {
  private static final Path REPOSITORY =
      Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
  private static final SimulatedProfile PROFILE =
      SimulatedProfile.parse(
          "test.csv",
          """
          model,batch,latency_ms
          dit,1,20
          dit,4,40
          text_encoder,1,2
          vae,1,5
          odd,1,1
          flat,1,1
          """,
          1);

  private final SimulatedGpu gpu = new SimulatedGpu();
  private final NodeMetrics metrics = new NodeMetrics();

  @Test
  void ditOutputsAreItsLatentsAndTheBatchWaitsForItsRows() throws Exception {
    ModelConfig config = ModelConfigs.read(REPOSITORY.resolve("dit"));
    Fixture dit = new Fixture(config);
    PendingRequest one = dit.request(1, List.of(), 7);
    PendingRequest two = dit.request(2, List.of(), 8);

    long start = System.nanoTime();
    dit.runner.run(0, List.of(one, two));
    long elapsed = System.nanoTime() - start;

    // 3 rows: between the points at 1 (20 ms) and 4 (40 ms).
    long latency = PROFILE.latency("dit", 3).toNanos();
    assertThat(latency).isEqualTo(Math.round((20 + 20 * 2 / 3.0) * 1e6));
    assertThat(elapsed).isGreaterThanOrEqualTo(latency);
    assertThat(gpu.executions()).isEqualTo(1);
    assertThat(gpu.busyNanos()).isGreaterThanOrEqualTo(latency);

    for (PendingRequest request : List.of(one, two)) {
      int rows = request.batchSize();
      List<OutputTensor> outputs = request.result().get(10, TimeUnit.SECONDS);
      assertThat(outputs)
          .extracting(OutputTensor::name)
          .containsExactly("next_latents", "denoised");
      ByteString latents = ByteString.copyFrom(request.request().inputs().get("latents").data());
      for (OutputTensor output : outputs) {
        assertThat(output.type().protocolName()).isEqualTo("FP32");
        assertThat(output.shape()).containsExactly(rows, 4, 16, 16, 16);
        assertThat(output.data().size()).isEqualTo(rows * 4 * 16 * 16 * 16 * 4);
        assertThat(output.data()).isEqualTo(latents);
      }
    }
    ModelStatistics stats = dit.stats.snapshot();
    assertThat(stats.getExecutionCount()).isEqualTo(1);
    assertThat(stats.getInferenceCount()).isEqualTo(3);
    assertThat(stats.getInferenceStats().getSuccess().getCount()).isEqualTo(2);
    assertThat(stats.getInferenceStats().getComputeInfer().getNs()).isGreaterThanOrEqualTo(latency);
    assertThat(stats.getBatchStatsList()).hasSize(1);
    assertThat(stats.getBatchStats(0).getBatchSize()).isEqualTo(3);
  }

  @Test
  void vaeFramesFollowTheLatentFramesOfTheRequest() throws Exception {
    ModelConfig config = ModelConfigs.read(REPOSITORY.resolve("vae"));
    assertThat(SimulatedBatchRunner.temporalCompression(config)).isEqualTo(1);
    Fixture vae = new Fixture(config);
    // latents [C,-1,H,W]: a preview of 5 latent frames decodes to 5 frames.
    PendingRequest preview = vae.request(2, List.of(), 1, 5L);
    vae.runner.run(0, List.of(preview));
    OutputTensor frames = preview.result().get(10, TimeUnit.SECONDS).get(0);
    assertThat(frames.name()).isEqualTo("frames");
    assertThat(frames.type().protocolName()).isEqualTo("UINT8");
    assertThat(frames.shape()).containsExactly(2, 5, 64, 64, 3);
    assertThat(frames.data().size()).isEqualTo(2 * 5 * 64 * 64 * 3);
    assertThat(allZero(frames.data())).isTrue();

    // A causal video VAE that compresses time 4x: 5 latent frames give 20 video frames.
    Fixture compressed =
        new Fixture(
            config.toBuilder()
                .putParameters(
                    SimulatedBatchRunner.TEMPORAL_COMPRESSION,
                    ModelParameter.newBuilder().setStringValue("4").build())
                .build());
    PendingRequest clip = compressed.request(1, List.of(), 1, 5L);
    compressed.runner.run(0, List.of(clip));
    assertThat(clip.result().get(10, TimeUnit.SECONDS).get(0).shape())
        .containsExactly(1, 20, 64, 64, 3);
  }

  @Test
  void textEncoderOutputsAreZerosOfTheRequestedShapes() throws Exception {
    Fixture encoder = new Fixture(ModelConfigs.read(REPOSITORY.resolve("text_encoder")));
    PendingRequest all = encoder.request(3, List.of(), 1);
    PendingRequest maskOnly = encoder.request(1, List.of("attention_mask"), 2);
    encoder.runner.run(0, List.of(all, maskOnly));

    List<OutputTensor> outputs = all.result().get(10, TimeUnit.SECONDS);
    assertThat(outputs)
        .extracting(OutputTensor::name)
        .containsExactly("text_embeddings", "attention_mask");
    assertThat(outputs.get(0).shape()).containsExactly(3, 64, 128);
    assertThat(outputs.get(0).data().size()).isEqualTo(3 * 64 * 128 * 4);
    assertThat(outputs.get(1).shape()).containsExactly(3, 64);
    assertThat(outputs.get(1).data().size()).isEqualTo(3 * 64 * 4);
    outputs.forEach(o -> assertThat(allZero(o.data())).as(o.name()).isTrue());
    List<OutputTensor> mask = maskOnly.result().get(10, TimeUnit.SECONDS);
    assertThat(mask).singleElement().satisfies(o -> assertThat(o.shape()).containsExactly(1, 64));
    assertThat(allZero(mask.get(0).data())).isTrue();
  }

  @Test
  void aVariableOutputWithNoVariableInputFailsThatRequestOnly() throws Exception {
    ModelConfig config =
        ModelConfig.newBuilder()
            .setName("odd")
            .setPlatform("onnxruntime_onnx")
            .setMaxBatchSize(4)
            .addInput(input("x", DataType.TYPE_FP32, 2))
            .addOutput(output("y", DataType.TYPE_FP32, -1))
            .addOutput(output("z", DataType.TYPE_INT64, 2))
            .build();
    Fixture odd = new Fixture(config);
    PendingRequest bad = odd.request(1, List.of("y"), 1);
    PendingRequest good = odd.request(2, List.of("z"), 2);
    odd.runner.run(0, List.of(bad, good));

    assertThatThrownBy(() -> bad.result().get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(InferenceException.class)
        .hasMessage(
            "simulated model 'odd': output 'y' has a variable dimension [-1], but no input of the"
                + " model has one to take its size from")
        .satisfies(
            e ->
                assertThat(((InferenceException) e).code())
                    .isEqualTo(Status.Code.INVALID_ARGUMENT));
    OutputTensor z = good.result().get(10, TimeUnit.SECONDS).get(0);
    assertThat(z.shape()).containsExactly(2, 2);
    assertThat(z.data().size()).isEqualTo(2 * 2 * 8);
    ModelStatistics stats = odd.stats.snapshot();
    assertThat(stats.getInferenceCount()).isEqualTo(2);
    assertThat(stats.getInferenceStats().getFail().getCount()).isEqualTo(1);

    // When every request of the batch fails, the GPU is not held at all.
    long executions = gpu.executions();
    PendingRequest alone = odd.request(1, List.of("y"), 3);
    odd.runner.run(0, List.of(alone));
    assertThat(alone.result()).isCompletedExceptionally();
    assertThat(gpu.executions()).isEqualTo(executions);
  }

  @Test
  void aModelWithoutBatchingPassesItsVariableInputThrough() throws Exception {
    ModelConfig config =
        ModelConfig.newBuilder()
            .setName("flat")
            .setPlatform("onnxruntime_onnx")
            .addInput(input("x", DataType.TYPE_FP32, -1))
            .addOutput(output("same", DataType.TYPE_FP32, -1))
            .addOutput(output("count", DataType.TYPE_INT32, -1, 2))
            .build();
    Fixture flat = new Fixture(config);
    PendingRequest request = flat.request(1, List.of(), 4, 6L);
    flat.runner.run(0, List.of(request));
    List<OutputTensor> outputs = request.result().get(10, TimeUnit.SECONDS);
    assertThat(outputs.get(0).shape()).containsExactly(6);
    assertThat(outputs.get(0).data())
        .isEqualTo(ByteString.copyFrom(request.request().inputs().get("x").data()));
    assertThat(outputs.get(1).shape()).containsExactly(6, 2);
    assertThat(allZero(outputs.get(1).data())).isTrue();
  }

  @Test
  void anInterruptedExecutionFailsTheBatchAsUnavailable() throws Exception {
    SimulatedProfile slow = SimulatedProfile.parse("slow.csv", "text_encoder,1,60000\n", 1);
    ModelConfig config = ModelConfigs.read(REPOSITORY.resolve("text_encoder"));
    Fixture encoder = new Fixture(config, slow);
    PendingRequest request = encoder.request(1, List.of(), 1);
    Thread executor = new Thread(() -> encoder.runner.run(0, List.of(request)), "executor");
    executor.start();
    while (executor.isAlive() && executor.getState() != Thread.State.TIMED_WAITING) {
      Thread.sleep(1);
    }
    executor.interrupt();
    assertThatThrownBy(() -> request.result().get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(InferenceException.class)
        .hasMessageContaining("interrupted")
        .satisfies(
            e -> assertThat(((InferenceException) e).code()).isEqualTo(Status.Code.UNAVAILABLE));
    executor.join(10_000);
  }

  @Test
  void temporalCompressionMustBeAPositiveInteger() {
    ModelConfig.Builder config = ModelConfig.newBuilder().setName("vae");
    assertThat(SimulatedBatchRunner.temporalCompression(config.build())).isEqualTo(1);
    for (String bad : List.of("0", "-4", "2.5", "")) {
      config.putParameters(
          SimulatedBatchRunner.TEMPORAL_COMPRESSION,
          ModelParameter.newBuilder().setStringValue(bad).build());
      assertThatThrownBy(() -> SimulatedBatchRunner.temporalCompression(config.build()))
          .hasMessage("parameter temporal_compression must be an integer >= 1, got '" + bad + "'");
    }
  }

  /** A runner for one model config, and requests for it as the decoder would give them. */
  private final class Fixture {
    final ModelSignature signature;
    final ModelStats stats;
    final SimulatedBatchRunner runner;

    Fixture(ModelConfig config) throws Exception {
      this(config, PROFILE);
    }

    Fixture(ModelConfig config, SimulatedProfile profile) throws Exception {
      signature =
          ModelSignature.of(
              config.getName(),
              1,
              config.getMaxBatchSize(),
              ModelConfigs.inputs(config),
              ModelConfigs.outputs(config));
      stats = new ModelStats(config.getName(), 1, metrics);
      runner =
          new SimulatedBatchRunner(
              signature,
              SimulatedBatchRunner.temporalCompression(config),
              profile,
              gpu,
              stats,
              System::nanoTime);
    }

    /**
     * A decoded request of {@code rows} rows (ignored without batching) asking for {@code outputs}
     * (empty = all), its variable dims set to {@code variable}, filled with random values.
     */
    PendingRequest request(int rows, List<String> outputs, long seed, long... variable) {
      SplittableRandom random = new SplittableRandom(seed);
      ModelInferRequest.Builder request =
          ModelInferRequest.newBuilder().setModelName(signature.model()).setId("r" + seed);
      for (TensorSpec spec : signature.inputs().values()) {
        long[] shape = signature.batched() ? Shapes.withBatch(rows, spec.dims()) : spec.dims();
        int v = 0;
        for (int i = 0; i < shape.length; i++) {
          if (shape[i] == -1) {
            shape[i] = variable[v++];
          }
        }
        ModelInferRequest.InferInputTensor.Builder input =
            ModelInferRequest.InferInputTensor.newBuilder()
                .setName(spec.name())
                .setDatatype(spec.type().protocolName());
        for (long dim : shape) {
          input.addShape(dim);
        }
        request.addInputs(input);
        byte[] bytes = new byte[(int) (Shapes.elementCount(shape) * spec.type().elementSize())];
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.remaining() >= 4) {
          buffer.putFloat((float) random.nextGaussian());
        }
        request.addRawInputContents(ByteString.copyFrom(bytes));
      }
      for (String output : outputs) {
        request.addOutputs(
            ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(output));
      }
      long now = System.nanoTime();
      PendingRequest pending =
          new PendingRequest(
              RequestDecoder.decode(signature, request.build()), now, Long.MAX_VALUE);
      pending.markDispatched(now);
      return pending;
    }
  }

  private static ModelInput input(String name, DataType type, long... dims) {
    ModelInput.Builder input = ModelInput.newBuilder().setName(name).setDataType(type);
    for (long dim : dims) {
      input.addDims(dim);
    }
    return input.build();
  }

  private static ModelOutput output(String name, DataType type, long... dims) {
    ModelOutput.Builder output = ModelOutput.newBuilder().setName(name).setDataType(type);
    for (long dim : dims) {
      output.addDims(dim);
    }
    return output.build();
  }

  private static boolean allZero(ByteString bytes) {
    for (int i = 0; i < bytes.size(); i++) {
      if (bytes.byteAt(i) != 0) {
        return false;
      }
    }
    return true;
  }
}
