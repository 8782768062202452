package dev.framecast.scheduler.pipeline;

import dev.framecast.api.v1.ModelInfo;
import dev.framecast.inference.v2.ModelConfig;
import dev.framecast.inference.v2.ModelParameter;

/**
 * A pipeline resolved against its models' configs: every shape, default and limit the scheduler
 * uses comes from the {@code parameters} of the text encoder, DiT and VAE configs, so a different
 * model repository drives the platform without code changes.
 */
public record Pipeline(
    PipelineSpec spec,
    String tokenizer,
    int maxTextLength,
    int embeddingDim,
    int latentChannels,
    int latentFrames,
    int latentHeight,
    int latentWidth,
    int defaultSteps,
    int minSteps,
    int maxSteps,
    float defaultGuidance,
    float minGuidance,
    float maxGuidance,
    String timestepSchedule,
    String noise,
    int frameHeight,
    int frameWidth,
    float fps,
    int maxBatchSize) {

  public static final String UTF8_BYTES = "utf8-bytes";
  public static final String PHILOX_NORMAL = "philox-normal";
  public static final String LINEAR = "linear";

  /** Reads the pipeline from its models' configs; a missing or bad parameter is an error. */
  public static Pipeline from(
      PipelineSpec spec, ModelConfig textEncoder, ModelConfig dit, ModelConfig vae) {
    Pipeline pipeline =
        new Pipeline(
            spec,
            text(textEncoder, "tokenizer"),
            integer(textEncoder, "max_length"),
            integer(textEncoder, "embedding_dim"),
            integer(dit, "latent_channels"),
            integer(dit, "latent_frames"),
            integer(dit, "latent_height"),
            integer(dit, "latent_width"),
            integer(dit, "default_steps"),
            integer(dit, "min_steps"),
            integer(dit, "max_steps"),
            decimal(dit, "default_guidance_scale"),
            decimal(dit, "min_guidance_scale"),
            decimal(dit, "max_guidance_scale"),
            text(dit, "timestep_schedule"),
            text(dit, "noise"),
            integer(vae, "frame_height"),
            integer(vae, "frame_width"),
            decimal(vae, "fps"),
            Math.min(
                positiveOr(dit.getMaxBatchSize()),
                Math.min(
                    positiveOr(textEncoder.getMaxBatchSize()), positiveOr(vae.getMaxBatchSize()))));
    pipeline.check();
    return pipeline;
  }

  private void check() {
    require(UTF8_BYTES.equals(tokenizer), "unsupported tokenizer '" + tokenizer + "'");
    require(
        LINEAR.equals(timestepSchedule),
        "unsupported timestep_schedule '" + timestepSchedule + "'");
    require(PHILOX_NORMAL.equals(noise), "unsupported noise '" + noise + "'");
    require(minSteps >= 1 && minSteps <= defaultSteps && defaultSteps <= maxSteps, "steps limits");
    require(minGuidance <= defaultGuidance && defaultGuidance <= maxGuidance, "guidance limits");
    require(maxTextLength > 0 && embeddingDim > 0, "text shape");
    require(
        latentChannels > 0 && latentFrames > 0 && latentHeight > 0 && latentWidth > 0,
        "latent shape");
    require(frameHeight > 0 && frameWidth > 0 && fps > 0, "frame shape");
  }

  private void require(boolean ok, String what) {
    if (!ok) {
      throw new IllegalArgumentException("pipeline '" + spec.name() + "': invalid " + what);
    }
  }

  public String name() {
    return spec.name();
  }

  /** Floats in one sample's latents (C x T x H x W). */
  public int latentSize() {
    return latentChannels * latentFrames * latentHeight * latentWidth;
  }

  /** Floats in one latent frame across channels (C x H x W). */
  public int latentFrameSize() {
    return latentChannels * latentHeight * latentWidth;
  }

  /** The number of frames the VAE decodes from all latent frames (temporal compression 1). */
  public int frameCount() {
    return latentFrames;
  }

  public ModelInfo toModelInfo() {
    return ModelInfo.newBuilder()
        .setName(spec.name())
        .setDescription(spec.description())
        .setIsDefault(spec.isDefault())
        .setDefaultSteps(defaultSteps)
        .setMinSteps(minSteps)
        .setMaxSteps(maxSteps)
        .setDefaultGuidanceScale(defaultGuidance)
        .setMinGuidanceScale(minGuidance)
        .setMaxGuidanceScale(maxGuidance)
        .setMaxPromptBytes(maxTextLength)
        .setFrameCount(frameCount())
        .setWidth(frameWidth)
        .setHeight(frameHeight)
        .setFps(fps)
        .build();
  }

  private static int positiveOr(int maxBatch) {
    return maxBatch > 0 ? maxBatch : 1;
  }

  private static String text(ModelConfig config, String key) {
    ModelParameter value = config.getParametersMap().get(key);
    if (value == null || value.getStringValue().isEmpty()) {
      throw new IllegalArgumentException(
          "model '" + config.getName() + "' config has no parameter '" + key + "'");
    }
    return value.getStringValue();
  }

  private static int integer(ModelConfig config, String key) {
    String value = text(config, key);
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "model '" + config.getName() + "' parameter '" + key + "' is not an integer: " + value);
    }
  }

  private static float decimal(ModelConfig config, String key) {
    String value = text(config, key);
    try {
      float parsed = Float.parseFloat(value.trim());
      if (!Float.isFinite(parsed)) {
        throw new NumberFormatException();
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "model '" + config.getName() + "' parameter '" + key + "' is not a number: " + value);
    }
  }
}
