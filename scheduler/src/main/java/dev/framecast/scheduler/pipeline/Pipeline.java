package dev.framecast.scheduler.pipeline;

import dev.framecast.api.v1.ModelInfo;
import dev.framecast.inference.v2.ModelConfig;
import dev.framecast.inference.v2.ModelParameter;

/**
 * A pipeline resolved against its models' configs: every shape, default and limit the scheduler
 * uses comes from the {@code parameters} of the text encoder, DiT and VAE configs, so a different
 * model repository drives the platform without code changes. Grouped by what they describe; the
 * flat accessors below ({@link #maxTextLength()}, {@link #latentFrames()}, ...) read the groups.
 *
 * @param maxBatchSize the smallest max_batch_size of the three models (at least 1)
 */
public record Pipeline(
    PipelineSpec spec,
    Text text,
    Latents latents,
    Steps steps,
    Guidance guidance,
    Schedule schedule,
    String noise,
    Sampler sampler,
    Video video,
    int maxBatchSize) {

  public static final String UTF8_BYTES = "utf8-bytes";
  public static final String PHILOX_NORMAL = "philox-normal";
  public static final String LINEAR = "linear";
  public static final String EULER = "euler";
  public static final String RENOISE = "renoise";

  /** The text encoder's input and output: its tokenizer, max tokens, embedding width. */
  public record Text(String tokenizer, int maxLength, int embeddingDim) {}

  /** One job's latent tensor: channels x frames x height x width. */
  public record Latents(int channels, int frames, int height, int width) {}

  /** Denoising steps: the default a request gets, and the range it may ask for. */
  public record Steps(int defaults, int min, int max) {}

  /** Classifier-free guidance scale: the default and the range. */
  public record Guidance(float defaults, float min, float max) {}

  /**
   * How the DiT graph moves a job from one noise level to the next. {@code euler}: the Euler step
   * of the guided velocity (the graph takes no noise). {@code renoise}: the step's prediction of
   * the clean latents re-noised to the next level, the noise mixing the predicted noise and fresh
   * philox-normal noise of the job's seed ({@code noise_stream} = step + 1) by {@code
   * stochasticity} (0: Euler, 1: all fresh); the graph then takes {@code noise_seed}, {@code
   * noise_stream} and {@code stochasticity}.
   */
  public record Sampler(String name, float stochasticity) {
    public static final Sampler EULER_STEP = new Sampler(EULER, 0f);

    /** Whether the DiT graph takes the sampler's noise inputs. */
    public boolean takesNoise() {
      return RENOISE.equals(name);
    }
  }

  /**
   * The noise levels a job steps through: {@code t_i = shift * u / (1 + (shift - 1) * u)} with
   * {@code u = 1 - i / N}, i = 0..N, from pure noise (t = 1) to data (t = 0). {@code linear} (the
   * DiT config's {@code timestep_schedule}) is the one spacing of {@code u}; {@code shift} (its
   * {@code timestep_shift}, 1 when absent) above 1 spends more of the steps at high noise, where a
   * clip's layout and motion are decided (SD3's timestep shift, the {@code shift} of flow-matching
   * schedulers).
   */
  public record Schedule(String name, float shift) {
    public static final Schedule LINEAR_UNSHIFTED = new Schedule(LINEAR, 1f);

    /**
     * t before step {@code step} of {@code steps} (so {@code timestep(i + 1, n)} is step i's next
     * timestep; {@code timestep(n, n)} = 0), computed in double and rounded once, as eval.py does.
     */
    public float timestep(int step, int steps) {
      double u = 1.0 - (double) step / steps;
      return (float) (shift * u / (1.0 + (shift - 1.0) * u));
    }
  }

  /** The VAE's frames. */
  public record Video(int frameHeight, int frameWidth, float fps) {}

  public Pipeline {
    java.util.Objects.requireNonNull(spec, "spec");
    java.util.Objects.requireNonNull(text, "text");
    java.util.Objects.requireNonNull(latents, "latents");
    java.util.Objects.requireNonNull(steps, "steps");
    java.util.Objects.requireNonNull(guidance, "guidance");
    java.util.Objects.requireNonNull(schedule, "schedule");
    java.util.Objects.requireNonNull(sampler, "sampler");
    java.util.Objects.requireNonNull(video, "video");
  }

  /** Reads the pipeline from its models' configs; a missing or bad parameter is an error. */
  public static Pipeline from(
      PipelineSpec spec, ModelConfig textEncoder, ModelConfig dit, ModelConfig vae) {
    Pipeline pipeline =
        new Pipeline(
            spec,
            new Text(
                text(textEncoder, "tokenizer"),
                integer(textEncoder, "max_length"),
                integer(textEncoder, "embedding_dim")),
            new Latents(
                integer(dit, "latent_channels"),
                integer(dit, "latent_frames"),
                integer(dit, "latent_height"),
                integer(dit, "latent_width")),
            new Steps(
                integer(dit, "default_steps"),
                integer(dit, "min_steps"),
                integer(dit, "max_steps")),
            new Guidance(
                decimal(dit, "default_guidance_scale"),
                decimal(dit, "min_guidance_scale"),
                decimal(dit, "max_guidance_scale")),
            new Schedule(
                text(dit, "timestep_schedule"),
                has(dit, "timestep_shift") ? decimal(dit, "timestep_shift") : 1f),
            text(dit, "noise"),
            sampler(dit),
            new Video(
                integer(vae, "frame_height"), integer(vae, "frame_width"), decimal(vae, "fps")),
            Math.min(
                positiveOr(dit.getMaxBatchSize()),
                Math.min(
                    positiveOr(textEncoder.getMaxBatchSize()), positiveOr(vae.getMaxBatchSize()))));
    pipeline.check();
    return pipeline;
  }

  private void check() {
    require(UTF8_BYTES.equals(tokenizer()), "unsupported tokenizer '" + tokenizer() + "'");
    require(
        LINEAR.equals(schedule.name()), "unsupported timestep_schedule '" + schedule.name() + "'");
    require(
        schedule.shift() > 0f,
        "timestep_shift " + schedule.shift() + " (expected a number above 0)");
    require(PHILOX_NORMAL.equals(noise), "unsupported noise '" + noise + "'");
    require(
        EULER.equals(sampler.name()) || RENOISE.equals(sampler.name()),
        "sampler '" + sampler.name() + "' (expected " + EULER + " or " + RENOISE + ")");
    require(
        EULER.equals(sampler.name())
            ? sampler.stochasticity() == 0f
            : sampler.stochasticity() >= 0f && sampler.stochasticity() <= 1f,
        "stochasticity " + sampler.stochasticity() + " for sampler '" + sampler.name() + "'");
    require(
        steps.min() >= 1 && steps.min() <= steps.defaults() && steps.defaults() <= steps.max(),
        "steps limits");
    require(
        guidance.min() <= guidance.defaults() && guidance.defaults() <= guidance.max(),
        "guidance limits");
    require(text.maxLength() > 0 && text.embeddingDim() > 0, "text shape");
    require(
        latents.channels() > 0
            && latents.frames() > 0
            && latents.height() > 0
            && latents.width() > 0,
        "latent shape");
    require(video.frameHeight() > 0 && video.frameWidth() > 0 && video.fps() > 0, "frame shape");
  }

  public String tokenizer() {
    return text.tokenizer();
  }

  public int maxTextLength() {
    return text.maxLength();
  }

  public int embeddingDim() {
    return text.embeddingDim();
  }

  public int latentChannels() {
    return latents.channels();
  }

  public int latentFrames() {
    return latents.frames();
  }

  public int latentHeight() {
    return latents.height();
  }

  public int latentWidth() {
    return latents.width();
  }

  public int defaultSteps() {
    return steps.defaults();
  }

  public int minSteps() {
    return steps.min();
  }

  public int maxSteps() {
    return steps.max();
  }

  public float defaultGuidance() {
    return guidance.defaults();
  }

  public float minGuidance() {
    return guidance.min();
  }

  public float maxGuidance() {
    return guidance.max();
  }

  public int frameHeight() {
    return video.frameHeight();
  }

  public int frameWidth() {
    return video.frameWidth();
  }

  public float fps() {
    return video.fps();
  }

  private void require(boolean ok, String what) {
    if (!ok) {
      throw new IllegalArgumentException("pipeline '" + spec.name() + "': invalid " + what);
    }
  }

  public String name() {
    return spec.name();
  }

  /**
   * What a denoising step's result depends on besides the job's own request (prompt, seed, steps,
   * guidance), as a 64-bit digest: the three models' names, the tokenizer and the text's shape, the
   * latents' shape, the noise, the sampler (and its stochasticity) and the schedule (and its
   * shift). A latent checkpoint carries the digest of the pipeline that made it, so a restarted
   * scheduler resumes a job from it only where it would have made the same steps: after a change to
   * the DiT config's schedule or sampler the job starts over rather than finish old latents on a
   * new trajectory. Not in it: the descriptions, limits and defaults (a job's spec has its own
   * values set), the frame rate; nor the weights, which no config names: retrained weights belong
   * under a new model name (or drain the jobs first).
   */
  public long stepFingerprint() {
    String canonical =
        String.join(
            "\n",
            "models " + spec.textEncoder() + " " + spec.dit() + " " + spec.vae(),
            "text " + text.tokenizer() + " " + text.maxLength() + " " + text.embeddingDim(),
            "latents "
                + latents.channels()
                + " "
                + latents.frames()
                + " "
                + latents.height()
                + " "
                + latents.width(),
            "noise " + noise,
            "sampler " + sampler.name() + " " + Float.floatToIntBits(sampler.stochasticity()),
            "schedule " + schedule.name() + " " + Float.floatToIntBits(schedule.shift()));
    try {
      byte[] digest =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(canonical.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.nio.ByteBuffer.wrap(digest).getLong();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** Floats in one sample's latents (C x T x H x W). */
  public int latentSize() {
    return latents.channels() * latents.frames() * latents.height() * latents.width();
  }

  /** Floats in one latent frame across channels (C x H x W). */
  public int latentFrameSize() {
    return latents.channels() * latents.height() * latents.width();
  }

  /** The number of frames the VAE decodes from all latent frames (temporal compression 1). */
  public int frameCount() {
    return latents.frames();
  }

  public ModelInfo toModelInfo() {
    return ModelInfo.newBuilder()
        .setName(spec.name())
        .setDescription(spec.description())
        .setIsDefault(spec.isDefault())
        .setDefaultSteps(steps.defaults())
        .setMinSteps(steps.min())
        .setMaxSteps(steps.max())
        .setDefaultGuidanceScale(guidance.defaults())
        .setMinGuidanceScale(guidance.min())
        .setMaxGuidanceScale(guidance.max())
        .setMaxPromptBytes(text.maxLength())
        .setFrameCount(frameCount())
        .setWidth(video.frameWidth())
        .setHeight(video.frameHeight())
        .setFps(video.fps())
        .build();
  }

  /**
   * The DiT config's {@code sampler} ({@code euler} when absent: model repositories written before
   * it) and, for {@code renoise}, its {@code stochasticity} (1 when absent).
   */
  private static Sampler sampler(ModelConfig dit) {
    if (!has(dit, "sampler")) {
      if (has(dit, "stochasticity")) {
        throw new IllegalArgumentException(
            "model '" + dit.getName() + "' config has 'stochasticity' but no 'sampler'");
      }
      return Sampler.EULER_STEP;
    }
    String name = text(dit, "sampler").trim();
    float defaults = RENOISE.equals(name) ? 1f : 0f;
    return new Sampler(name, has(dit, "stochasticity") ? decimal(dit, "stochasticity") : defaults);
  }

  private static boolean has(ModelConfig config, String key) {
    ModelParameter value = config.getParametersMap().get(key);
    return value != null && !value.getStringValue().isEmpty();
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
