package dev.framecast.models;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.framecast.inference.v2.ModelConfig;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The three models composed the way the scheduler composes them: text_encoder -> N dit steps ->
 * vae, on batches, in ONNX Runtime on CPU.
 */
class PipelineLoopTest {
  private static OrtEnvironment env;
  private static OrtSession encoder;
  private static OrtSession dit;
  private static OrtSession vae;
  private static int textLength;
  private static int textDim;
  private static long[] latentDims;
  private static int latentSize;
  private static ModelConfig vaeConfig;

  @BeforeAll
  static void openModels() throws Exception {
    env = OrtEnvironment.getEnvironment();
    ModelConfig encoderConfig = ModelRepository.config("text_encoder");
    textLength = ModelRepository.intParameter(encoderConfig, "max_length");
    textDim = ModelRepository.intParameter(encoderConfig, "embedding_dim");
    latentDims = ModelConfigsTest.latentDims(ModelRepository.config("dit"));
    latentSize = (int) (latentDims[0] * latentDims[1] * latentDims[2] * latentDims[3]);
    vaeConfig = ModelRepository.config("vae");
    encoder = ModelRepository.open(env, "text_encoder");
    dit = ModelRepository.open(env, "dit");
    vae = ModelRepository.open(env, "vae");
  }

  @AfterAll
  static void closeModels() throws OrtException {
    for (OrtSession session : new OrtSession[] {encoder, dit, vae}) {
      if (session != null) {
        session.close();
      }
    }
  }

  @Test
  void fourStepLoopOnBatchOfTwoGivesFiniteLatentsAndConfiguredFrames() throws Exception {
    String[] prompts = {"a red circle moving right", "a cyan triangle moving up"};
    int batch = prompts.length;
    float[][] text = encode(prompts);
    float[][] empty = encode(new String[] {"", ""});
    float[] latents = noise(batch, 7);
    int steps = 4;
    float[] guidance = {4f, 2.5f};

    float[] denoised = null;
    for (int step = 0; step < steps; step++) {
      float t = 1f - (float) step / steps;
      float next = 1f - (float) (step + 1) / steps;
      // The config's sampler: each job's fresh noise, stream step + 1, fully mixed in.
      float[][] out =
          ditStep(
              batch,
              latents,
              new float[] {t, t},
              new float[] {next, next},
              text,
              empty,
              guidance,
              new long[] {7, 8},
              new long[] {step + 1, step + 1},
              new float[] {1f, 1f});
      latents = out[0];
      denoised = out[1];
    }

    assertThat(latents).hasSize(batch * latentSize);
    assertFinite(latents);
    assertFinite(denoised);
    // After the last step (t_next = 0) the Euler update lands on the model's own prediction.
    assertThat(maxAbsDiff(latents, 0, denoised, 0, latents.length)).isLessThan(1e-3f);

    long[] shape = {batch, latentDims[0], latentDims[1], latentDims[2], latentDims[3]};
    try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(latents), shape);
        OrtSession.Result result = vae.run(Map.of("latents", input))) {
      OnnxTensor frames = (OnnxTensor) result.get("frames").orElseThrow();
      assertThat(frames.getInfo().type).isEqualTo(OnnxJavaType.UINT8);
      assertThat(frames.getInfo().getShape())
          .containsExactly(
              batch,
              latentDims[1],
              ModelRepository.intParameter(vaeConfig, "frame_height"),
              ModelRepository.intParameter(vaeConfig, "frame_width"),
              3);
    }
  }

  @Test
  void vaeDecodesAFewLatentFramesForAPreview() throws Exception {
    int frames = 2;
    float[] latents = new float[(int) (latentDims[0] * frames * latentDims[2] * latentDims[3])];
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < latents.length; i++) {
      latents[i] = (float) random.nextGaussian();
    }
    long[] shape = {1, latentDims[0], frames, latentDims[2], latentDims[3]};
    try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(latents), shape);
        OrtSession.Result result = vae.run(Map.of("latents", input))) {
      OnnxTensor out = (OnnxTensor) result.get("frames").orElseThrow();
      assertThat(out.getInfo().getShape()[1]).isEqualTo(frames);
    }
  }

  @Test
  void sampleInBatchOfFourEqualsSameSampleAlone() throws Exception {
    // Different prompts, timesteps and guidance per sample: a per-sample contract.
    String[] prompts = {
      "a red circle moving right", "a blue square moving left", "", "a white triangle moving down"
    };
    int batch = prompts.length;
    float[][] text = encode(prompts);
    float[][] negative = encode(new String[] {"", "a green square", "", ""});
    float[] latents = noise(batch, 11);
    float[] t = {1f, 0.75f, 0.5f, 0.125f};
    float[] next = {0.9f, 0.5f, 0.25f, 0f};
    float[] guidance = {4f, 1f, 7.5f, 0f};
    long[] seeds = {5, -77, 1L << 40, 9};
    long[] streams = {1, 7, 13, 22};
    float[] stochasticity = {1f, 0.5f, 0f, 1f};
    float[][] batched =
        ditStep(batch, latents, t, next, text, negative, guidance, seeds, streams, stochasticity);

    int i = 1;
    float[] aloneLatents = slice(latents, i, latentSize);
    float[][] aloneText = {slice(text[0], i, textLength * textDim), slice(text[1], i, textLength)};
    float[][] aloneNegative = {
      slice(negative[0], i, textLength * textDim), slice(negative[1], i, textLength)
    };
    float[][] alone =
        ditStep(
            1,
            aloneLatents,
            new float[] {t[i]},
            new float[] {next[i]},
            aloneText,
            aloneNegative,
            new float[] {guidance[i]},
            new long[] {seeds[i]},
            new long[] {streams[i]},
            new float[] {stochasticity[i]});

    for (int output = 0; output < 2; output++) {
      assertFinite(batched[output]);
      float diff = maxAbsDiff(batched[output], i * latentSize, alone[output], 0, latentSize);
      assertThat(diff).as("output %d max abs difference", output).isLessThanOrEqualTo(1e-4f);
    }
    // The check above is only meaningful if the step actually changed the latents.
    assertThat(maxAbsDiff(alone[0], 0, aloneLatents, 0, latentSize)).isGreaterThan(1e-3f);
  }

  @Test
  void stochasticityZeroIsTheEulerStepAndOneReNoisesThePrediction() throws Exception {
    String[] prompts = {"a yellow square moving down"};
    float[][] text = encode(prompts);
    float[][] empty = encode(new String[] {""});
    float[] latents = noise(1, 17);
    float[] t = {0.5f};
    float[] next = {0.375f};
    float[] g = {3f};
    long[] seed = {42};
    long[] stream = {13};
    float[][] euler = ditStep(1, latents, t, next, text, empty, g, seed, stream, new float[] {0f});
    float[][] renoised =
        ditStep(1, latents, t, next, text, empty, g, seed, stream, new float[] {1f});
    float[][] otherStream =
        ditStep(1, latents, t, next, text, empty, g, seed, new long[] {14}, new float[] {1f});
    float[] denoised = euler[1];
    float worstEuler = 0;
    float sumSquares = 0;
    for (int j = 0; j < latentSize; j++) {
      // denoised = x - t v, so the Euler step x + (t' - t) v is x + (t' - t) (x - denoised) / t.
      float v = (latents[j] - denoised[j]) / t[0];
      worstEuler =
          Math.max(worstEuler, Math.abs(euler[0][j] - (latents[j] + (next[0] - t[0]) * v)));
      // Re-noised: (1 - t') denoised + t' z, so z = (x' - (1 - t') denoised) / t'.
      float z = (renoised[0][j] - (1 - next[0]) * denoised[j]) / next[0];
      sumSquares += z * z;
    }
    assertThat(worstEuler).isLessThan(1e-4f);
    assertThat(maxAbsDiff(renoised[1], 0, denoised, 0, latentSize)).isEqualTo(0f);
    // The fresh noise is standard normal, and another stream draws another.
    assertThat(sumSquares / latentSize).isBetween(0.9f, 1.1f);
    assertThat(maxAbsDiff(renoised[0], 0, otherStream[0], 0, latentSize)).isGreaterThan(0.5f);
  }

  /** Returns {text_embeddings, attention_mask} for the prompts, flattened row-major. */
  private static float[][] encode(String[] prompts) throws OrtException {
    long[] ids = new long[prompts.length * textLength];
    for (int b = 0; b < prompts.length; b++) {
      System.arraycopy(
          ModelRepository.tokenize(prompts[b], textLength), 0, ids, b * textLength, textLength);
    }
    try (OnnxTensor input =
            OnnxTensor.createTensor(
                env, LongBuffer.wrap(ids), new long[] {prompts.length, textLength});
        OrtSession.Result result = encoder.run(Map.of("input_ids", input))) {
      float[] embeddings = floats(result, "text_embeddings");
      float[] mask = floats(result, "attention_mask");
      for (int j = 0; j < ids.length; j++) {
        assertThat(mask[j]).isEqualTo(ids[j] == 0 ? 0f : 1f);
      }
      return new float[][] {embeddings, mask};
    }
  }

  /** One DiT step; returns {next_latents, denoised}. */
  private static float[][] ditStep(
      int batch,
      float[] latents,
      float[] t,
      float[] next,
      float[][] text,
      float[][] negative,
      float[] guidance,
      long[] seeds,
      long[] streams,
      float[] stochasticity)
      throws OrtException {
    long[] latentShape = {batch, latentDims[0], latentDims[1], latentDims[2], latentDims[3]};
    long[] scalar = {batch, 1};
    long[] textShape = {batch, textLength, textDim};
    long[] maskShape = {batch, textLength};
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      inputs.put("latents", tensor(latents, latentShape));
      inputs.put("timestep", tensor(t, scalar));
      inputs.put("next_timestep", tensor(next, scalar));
      inputs.put("text_embeddings", tensor(text[0], textShape));
      inputs.put("attention_mask", tensor(text[1], maskShape));
      inputs.put("negative_text_embeddings", tensor(negative[0], textShape));
      inputs.put("negative_attention_mask", tensor(negative[1], maskShape));
      inputs.put("guidance_scale", tensor(guidance, scalar));
      inputs.put("noise_seed", OnnxTensor.createTensor(env, LongBuffer.wrap(seeds), scalar));
      inputs.put("noise_stream", OnnxTensor.createTensor(env, LongBuffer.wrap(streams), scalar));
      inputs.put("stochasticity", tensor(stochasticity, scalar));
      try (OrtSession.Result result = dit.run(inputs)) {
        return new float[][] {floats(result, "next_latents"), floats(result, "denoised")};
      }
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  private static OnnxTensor tensor(float[] data, long[] shape) throws OrtException {
    return OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
  }

  private static float[] floats(OrtSession.Result result, String name) {
    FloatBuffer buffer = ((OnnxTensor) result.get(name).orElseThrow()).getFloatBuffer();
    float[] values = new float[buffer.remaining()];
    buffer.get(values);
    return values;
  }

  private static float[] noise(int batch, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] values = new float[batch * latentSize];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }

  private static float[] slice(float[] data, int index, int size) {
    float[] out = new float[size];
    System.arraycopy(data, index * size, out, 0, size);
    return out;
  }

  private static float maxAbsDiff(float[] a, int aOffset, float[] b, int bOffset, int length) {
    float max = 0;
    for (int i = 0; i < length; i++) {
      max = Math.max(max, Math.abs(a[aOffset + i] - b[bOffset + i]));
    }
    return max;
  }

  private static void assertFinite(float[] values) {
    for (float v : values) {
      assertThat(Float.isFinite(v)).as("all values finite").isTrue();
    }
  }
}
