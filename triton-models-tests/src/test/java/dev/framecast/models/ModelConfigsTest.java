package dev.framecast.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.inference.v2.DataType;
import dev.framecast.inference.v2.ModelConfig;
import dev.framecast.inference.v2.ModelInput;
import dev.framecast.inference.v2.ModelOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every config.pbtxt is Triton's text format and states DESIGN.md's model contract. */
class ModelConfigsTest {

  @ParameterizedTest
  @ValueSource(strings = {"text_encoder", "dit", "vae"})
  void configParsesAsTritonModelConfigForOnnxRuntime(String model) throws IOException {
    ModelConfig config = ModelRepository.config(model);

    assertThat(config.getName()).isEqualTo(model);
    assertThat(config.getPlatform()).isEqualTo("onnxruntime_onnx");
    assertThat(config.getMaxBatchSize()).isEqualTo(32);
    assertThat(config.getInstanceGroupList()).isNotEmpty();
    assertThat(config.getInstanceGroup(0).getCount()).isPositive();
    // The scheduler batches the DiT itself (docs/architecture.md); Triton may merge the others.
    assertThat(config.hasDynamicBatching()).isEqualTo(!model.equals("dit"));
    assertThat(config.getVersionPolicy().hasLatest()).isTrue();
  }

  @Test
  void textEncoderStatesTokenizerAndContract() throws IOException {
    ModelConfig config = ModelRepository.config("text_encoder");
    int length = ModelRepository.intParameter(config, "max_length");
    int dim = ModelRepository.intParameter(config, "embedding_dim");

    assertThat(ModelRepository.parameter(config, "tokenizer")).isEqualTo("utf8-bytes");
    assertThat(inputs(config))
        .containsExactly(Map.entry("input_ids", tensor(DataType.TYPE_INT64, length)));
    assertThat(outputs(config))
        .containsExactly(
            Map.entry("text_embeddings", tensor(DataType.TYPE_FP32, length, dim)),
            Map.entry("attention_mask", tensor(DataType.TYPE_FP32, length)));
  }

  @Test
  void ditStatesLatentShapeDefaultsAndLimits() throws IOException {
    ModelConfig dit = ModelRepository.config("dit");
    ModelConfig encoder = ModelRepository.config("text_encoder");
    long[] latent = latentDims(dit);
    long length = ModelRepository.intParameter(encoder, "max_length");
    long dim = ModelRepository.intParameter(encoder, "embedding_dim");

    String latents = tensor(DataType.TYPE_FP32, latent);
    String scalar = tensor(DataType.TYPE_FP32, 1);
    String text = tensor(DataType.TYPE_FP32, length, dim);
    String mask = tensor(DataType.TYPE_FP32, length);
    assertThat(inputs(dit))
        .containsExactly(
            Map.entry("latents", latents),
            Map.entry("timestep", scalar),
            Map.entry("next_timestep", scalar),
            Map.entry("text_embeddings", text),
            Map.entry("attention_mask", mask),
            Map.entry("negative_text_embeddings", text),
            Map.entry("negative_attention_mask", mask),
            Map.entry("guidance_scale", scalar),
            Map.entry("noise_seed", tensor(DataType.TYPE_INT64, 1)),
            Map.entry("noise_stream", tensor(DataType.TYPE_INT64, 1)),
            Map.entry("stochasticity", scalar));
    assertThat(ModelRepository.parameter(dit, "sampler")).isEqualTo("renoise");
    assertThat(Float.parseFloat(ModelRepository.parameter(dit, "stochasticity"))).isBetween(0f, 1f);
    assertThat(outputs(dit))
        .containsExactly(Map.entry("next_latents", latents), Map.entry("denoised", latents));

    int steps = ModelRepository.intParameter(dit, "default_steps");
    assertThat(steps)
        .isBetween(
            ModelRepository.intParameter(dit, "min_steps"),
            ModelRepository.intParameter(dit, "max_steps"));
    float guidance = Float.parseFloat(ModelRepository.parameter(dit, "default_guidance_scale"));
    assertThat(guidance)
        .isBetween(
            Float.parseFloat(ModelRepository.parameter(dit, "min_guidance_scale")),
            Float.parseFloat(ModelRepository.parameter(dit, "max_guidance_scale")));
    assertThat(ModelRepository.parameter(dit, "timestep_schedule")).isEqualTo("linear");
    assertThat(Float.parseFloat(ModelRepository.parameter(dit, "timestep_shift"))).isEqualTo(3f);
  }

  @Test
  void vaeDecodesAnyNumberOfLatentFramesIntoPixels() throws IOException {
    ModelConfig vae = ModelRepository.config("vae");
    long[] latent = latentDims(ModelRepository.config("dit"));
    int height = ModelRepository.intParameter(vae, "frame_height");
    int width = ModelRepository.intParameter(vae, "frame_width");
    int compression = ModelRepository.intParameter(vae, "spatial_compression");

    assertThat(inputs(vae))
        .containsExactly(
            Map.entry("latents", tensor(DataType.TYPE_FP32, latent[0], -1, latent[2], latent[3])));
    assertThat(outputs(vae))
        .containsExactly(Map.entry("frames", tensor(DataType.TYPE_UINT8, -1, height, width, 3)));
    assertThat(latent[2] * compression).isEqualTo(height);
    assertThat(latent[3] * compression).isEqualTo(width);
    assertThat(Float.parseFloat(ModelRepository.parameter(vae, "fps"))).isPositive();
  }

  @Test
  void committedModelFilesStayWithinTwentyFiveMegabytes() throws IOException {
    long total = 0;
    for (String model : ModelRepository.MODELS) {
      Path file = ModelRepository.onnxFile(model);
      assertThat(file).exists();
      total += Files.size(file);
    }
    assertThat(total).isLessThanOrEqualTo(25L * 1000 * 1000);
  }

  static long[] latentDims(ModelConfig dit) {
    return new long[] {
      ModelRepository.intParameter(dit, "latent_channels"),
      ModelRepository.intParameter(dit, "latent_frames"),
      ModelRepository.intParameter(dit, "latent_height"),
      ModelRepository.intParameter(dit, "latent_width")
    };
  }

  private static Map<String, String> inputs(ModelConfig config) {
    return ordered(
        config.getInputList().stream()
            .map(i -> Map.entry(i.getName(), tensor(i.getDataType(), dims(i))))
            .collect(Collectors.toList()));
  }

  private static Map<String, String> outputs(ModelConfig config) {
    return ordered(
        config.getOutputList().stream()
            .map(o -> Map.entry(o.getName(), tensor(o.getDataType(), dims(o))))
            .collect(Collectors.toList()));
  }

  private static long[] dims(ModelInput input) {
    return input.getDimsList().stream().mapToLong(Long::longValue).toArray();
  }

  private static long[] dims(ModelOutput output) {
    return output.getDimsList().stream().mapToLong(Long::longValue).toArray();
  }

  private static Map<String, String> ordered(List<Map.Entry<String, String>> entries) {
    Map<String, String> map = new java.util.LinkedHashMap<>();
    entries.forEach(e -> map.put(e.getKey(), e.getValue()));
    return map;
  }

  /** "TYPE_FP32[64, 256]": a readable key so a mismatch shows both sides in the failure. */
  static String tensor(DataType type, long... dims) {
    return type.name() + java.util.Arrays.toString(dims);
  }
}
