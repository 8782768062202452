package dev.framecast.scheduler.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.inference.v2.ModelConfig;
import dev.framecast.inference.v2.ModelMetadataResponse;
import dev.framecast.inference.v2.ModelMetadataResponse.TensorMetadata;
import dev.framecast.inference.v2.ModelParameter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a node's ModelMetadata and ModelConfig must say for the scheduler to use it. */
class ModelContractTest {
  private static final ModelConfig TEXT =
      config(
          "text_encoder",
          32,
          Map.of("tokenizer", "utf8-bytes", "max_length", "64", "embedding_dim", "256"));
  private static final ModelConfig DIT =
      config(
          "dit",
          32,
          Map.ofEntries(
              Map.entry("latent_channels", "4"),
              Map.entry("latent_frames", "16"),
              Map.entry("latent_height", "16"),
              Map.entry("latent_width", "16"),
              Map.entry("default_steps", "24"),
              Map.entry("min_steps", "1"),
              Map.entry("max_steps", "100"),
              Map.entry("default_guidance_scale", "4.0"),
              Map.entry("min_guidance_scale", "0.0"),
              Map.entry("max_guidance_scale", "20.0"),
              Map.entry("timestep_schedule", "linear"),
              Map.entry("noise", "philox-normal")));
  private static final ModelConfig VAE =
      config("vae", 32, Map.of("frame_height", "64", "frame_width", "64", "fps", "8"));
  private static final Pipeline PIPELINE = Pipeline.from(PipelineSpec.reference(), TEXT, DIT, VAE);
  private static final ModelContract CONTRACT = ModelContract.of(PIPELINE);

  private static ModelConfig config(String name, int maxBatch, Map<String, String> parameters) {
    ModelConfig.Builder config = ModelConfig.newBuilder().setName(name).setMaxBatchSize(maxBatch);
    parameters.forEach(
        (k, v) -> config.putParameters(k, ModelParameter.newBuilder().setStringValue(v).build()));
    return config.build();
  }

  /** The metadata a Triton server reports for a batching model with exactly the contract. */
  private static ModelMetadataResponse.Builder metadata(ModelContract.Model model) {
    ModelMetadataResponse.Builder metadata =
        ModelMetadataResponse.newBuilder().setName(model.name());
    for (ModelContract.Tensor t : model.inputs()) {
      metadata.addInputs(tensor(t.name(), t.datatype(), t.dims()));
    }
    // Triton lists outputs by name; the check must not care.
    model.outputs().stream()
        .sorted(java.util.Comparator.comparing(ModelContract.Tensor::name))
        .forEach(t -> metadata.addOutputs(tensor(t.name(), t.datatype(), t.dims())));
    return metadata;
  }

  private static TensorMetadata tensor(String name, String datatype, long... dims) {
    TensorMetadata.Builder tensor = TensorMetadata.newBuilder().setName(name).setDatatype(datatype);
    tensor.addShape(-1);
    for (long dim : dims) {
      tensor.addShape(dim);
    }
    return tensor.build();
  }

  @Test
  void theReferenceModelsPass() {
    for (ModelContract.Model model : CONTRACT.models()) {
      assertThat(ModelContract.check(model, metadata(model).build())).isEmpty();
    }
    assertThat(ModelContract.checkConfigs(PIPELINE, TEXT, DIT, VAE)).isEmpty();
  }

  @Test
  void everyDifferenceIsNamed() {
    ModelContract.Model dit = CONTRACT.dit();
    ModelMetadataResponse.Builder wrong = metadata(dit);
    wrong.setInputs(1, tensor("timestep", "FP16", 1)); // datatype
    wrong.addInputs(tensor("motion_strength", "FP32", 1)); // required, never sent
    wrong.removeOutputs(0); // denoised (first by name)
    wrong.setOutputs(0, tensor("next_latents", "FP32", 4, 8, 16, 16)); // frames
    assertThat(ModelContract.check(dit, wrong.build()))
        .containsExactly(
            "model 'dit' input 'timestep' is FP16, expected FP32",
            "model 'dit' requires input 'motion_strength' (FP32 [-1,1]), which the scheduler"
                + " does not send",
            "model 'dit' output 'next_latents' has dims [-1,4,8,16,16], expected"
                + " [-1,4,16,16,16]",
            "model 'dit' has no output 'denoised' (expected FP32 [-1,4,16,16,16]; it has"
                + " [next_latents])");
  }

  @Test
  void variableAndBatchDimensionsAreChecked() {
    ModelContract.Model vae = CONTRACT.vae();
    // Previews send fewer latent frames than clips: a VAE fixed at 16 frames cannot serve both.
    ModelMetadataResponse.Builder fixed = metadata(vae);
    fixed.setInputs(0, tensor("latents", "FP32", 4, 16, 16, 16));
    assertThat(ModelContract.check(vae, fixed.build()))
        .containsExactly(
            "model 'vae' input 'latents' has dims [-1,4,16,16,16], expected [-1,4,-1,16,16]");
    // A model without a batch dimension (max_batch_size 0) reports no leading -1.
    ModelMetadataResponse.Builder unbatched = metadata(vae);
    unbatched.setOutputs(
        0,
        TensorMetadata.newBuilder()
            .setName("frames")
            .setDatatype("UINT8")
            .addAllShape(List.of(16L, 64L, 64L, 3L)));
    assertThat(ModelContract.check(vae, unbatched.build()))
        .containsExactly(
            "model 'vae' output 'frames' has dims [16,64,64,3], expected [-1,-1,64,64,3] (the"
                + " model must batch: max_batch_size > 0)");
  }

  @Test
  void configsThatGiveAnotherPipelineOrSmallerBatchesAreNamed() {
    ModelConfig shorter =
        DIT.toBuilder()
            .putParameters("latent_frames", ModelParameter.newBuilder().setStringValue("8").build())
            .build();
    ModelConfig smaller = VAE.toBuilder().setMaxBatchSize(8).build();
    assertThat(ModelContract.checkConfigs(PIPELINE, TEXT, shorter, smaller))
        .containsExactly(
            "model 'vae' has max_batch_size 8; the scheduler sends batches of up to 32",
            "pipeline 'reference': its configs give latents.frames 8, expected 16");
    ModelConfig noTokenizer = TEXT.toBuilder().removeParameters("tokenizer").build();
    assertThat(ModelContract.checkConfigs(PIPELINE, noTokenizer, DIT, VAE))
        .containsExactly("model 'text_encoder' config has no parameter 'tokenizer'");
  }

  private static ModelConfig dit(String... keyValues) {
    ModelConfig.Builder dit = DIT.toBuilder();
    for (int i = 0; i < keyValues.length; i += 2) {
      dit.putParameters(
          keyValues[i], ModelParameter.newBuilder().setStringValue(keyValues[i + 1]).build());
    }
    return dit.build();
  }

  @Test
  void theReNoisingSamplerAddsTheNoiseInputsToTheDitsContract() {
    Pipeline renoise =
        Pipeline.from(
            PipelineSpec.reference(), TEXT, dit("sampler", "renoise", "stochasticity", "0.5"), VAE);
    assertThat(renoise.sampler()).isEqualTo(new Pipeline.Sampler(Pipeline.RENOISE, 0.5f));
    ModelContract.Model model = ModelContract.of(renoise).dit();
    assertThat(model.inputs().subList(8, 11))
        .containsExactly(
            new ModelContract.Tensor("noise_seed", "INT64", new long[] {1}),
            new ModelContract.Tensor("noise_stream", "INT64", new long[] {1}),
            new ModelContract.Tensor("stochasticity", "FP32", new long[] {1}));
    assertThat(ModelContract.check(model, metadata(model).build())).isEmpty();
    // A DiT graph exported without the sampler cannot serve a config that names it...
    assertThat(ModelContract.check(model, metadata(CONTRACT.dit()).build()))
        .containsExactly(
            "model 'dit' has no input 'noise_seed' (the scheduler sends INT64 [-1,1])",
            "model 'dit' has no input 'noise_stream' (the scheduler sends INT64 [-1,1])",
            "model 'dit' has no input 'stochasticity' (the scheduler sends FP32 [-1,1])");
    // ... and one with it is refused where the config says euler (its inputs are required).
    assertThat(ModelContract.check(CONTRACT.dit(), metadata(model).build()))
        .contains(
            "model 'dit' requires input 'noise_seed' (INT64 [-1,1]), which the scheduler does"
                + " not send");
    // Nodes whose configs name another sampler serve another pipeline.
    assertThat(ModelContract.checkConfigs(renoise, TEXT, dit("sampler", "renoise"), VAE))
        .containsExactly(
            "pipeline 'reference': its configs give sampler.stochasticity 1.0, expected 0.5");
  }

  @Test
  void theSamplerDefaultsAndItsMistakes() {
    assertThat(PIPELINE.sampler()).isEqualTo(Pipeline.Sampler.EULER_STEP);
    assertThat(
            Pipeline.from(PipelineSpec.reference(), TEXT, dit("sampler", "renoise"), VAE).sampler())
        .isEqualTo(new Pipeline.Sampler(Pipeline.RENOISE, 1f));
    assertThat(ModelContract.checkConfigs(PIPELINE, TEXT, dit("sampler", "ddim"), VAE))
        .containsExactly(
            "pipeline 'reference': invalid sampler 'ddim' (expected euler or renoise)");
    assertThat(
            ModelContract.checkConfigs(
                PIPELINE, TEXT, dit("sampler", "renoise", "stochasticity", "1.5"), VAE))
        .containsExactly("pipeline 'reference': invalid stochasticity 1.5 for sampler 'renoise'");
    assertThat(
            ModelContract.checkConfigs(
                PIPELINE, TEXT, dit("sampler", "euler", "stochasticity", "0.5"), VAE))
        .containsExactly("pipeline 'reference': invalid stochasticity 0.5 for sampler 'euler'");
    assertThat(ModelContract.checkConfigs(PIPELINE, TEXT, dit("stochasticity", "0.5"), VAE))
        .containsExactly("model 'dit' config has 'stochasticity' but no 'sampler'");
  }

  @Test
  void theTimestepShiftDefaultsToOneAndSpacesTheStepsTowardsNoise() {
    assertThat(PIPELINE.schedule()).isEqualTo(Pipeline.Schedule.LINEAR_UNSHIFTED);
    Pipeline.Schedule shifted =
        Pipeline.from(PipelineSpec.reference(), TEXT, dit("timestep_shift", "3.0"), VAE).schedule();
    assertThat(shifted).isEqualTo(new Pipeline.Schedule(Pipeline.LINEAR, 3f));
    // Unshifted: t_i = 1 - i / N. Shifted by 3: u = 1 - i / N, t = 3u / (1 + 2u).
    assertThat(PIPELINE.schedule().timestep(6, 24)).isEqualTo(0.75f);
    assertThat(shifted.timestep(12, 24)).isEqualTo(0.75f);
    assertThat(shifted.timestep(18, 24)).isEqualTo((float) (0.75 / 1.5));
    // Both ends stay where they are: pure noise first, data last.
    assertThat(shifted.timestep(0, 24)).isEqualTo(1f);
    assertThat(shifted.timestep(24, 24)).isEqualTo(0f);
    for (int i = 1; i <= 24; i++) {
      assertThat(shifted.timestep(i, 24)).isLessThan(shifted.timestep(i - 1, 24));
    }
    // Every step in between is at higher noise than the unshifted schedule's.
    for (int i = 1; i < 24; i++) {
      assertThat(shifted.timestep(i, 24)).isGreaterThan(PIPELINE.schedule().timestep(i, 24));
    }
  }

  @Test
  void aTimestepShiftThatIsNoPositiveNumberIsNamed() {
    assertThat(ModelContract.checkConfigs(PIPELINE, TEXT, dit("timestep_shift", "0"), VAE))
        .containsExactly(
            "pipeline 'reference': invalid timestep_shift 0.0 (expected a number above 0)");
    assertThat(ModelContract.checkConfigs(PIPELINE, TEXT, dit("timestep_shift", "-2"), VAE))
        .containsExactly(
            "pipeline 'reference': invalid timestep_shift -2.0 (expected a number above 0)");
    assertThat(ModelContract.checkConfigs(PIPELINE, TEXT, dit("timestep_shift", "NaN"), VAE))
        .containsExactly("model 'dit' parameter 'timestep_shift' is not a number: NaN");
    // A node whose config spaces the steps otherwise serves another pipeline.
    assertThat(ModelContract.checkConfigs(PIPELINE, TEXT, dit("timestep_shift", "3"), VAE))
        .containsExactly("pipeline 'reference': its configs give schedule.shift 3.0, expected 1.0");
  }
}
