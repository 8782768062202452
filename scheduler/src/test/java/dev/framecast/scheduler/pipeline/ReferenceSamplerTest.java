package dev.framecast.scheduler.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The committed reference DiT's re-noising sampler draws the platform's philox-normal noise: what
 * the scheduler sends (the job's seed, stream step + 1) gives in the graph exactly the noise that
 * {@link PhiloxNormal} defines, so a clip does not depend on where or in which batch it ran.
 */
class ReferenceSamplerTest {
  private static final Path DIT =
      Path.of(System.getProperty("framecast.modelRepository", "../triton-models"))
          .resolve("dit/1/model.onnx");
  private static final int LATENT = 4 * 16 * 16 * 16;

  @Test
  void theDitGraphsNoiseIsPhiloxNormalOfTheSeedAndStream() throws Exception {
    long[] seeds = {7, -1234567890123L, (1L << 62) + 17};
    long[] streams = {1, 12, 24};
    int batch = seeds.length;
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, OnnxTensor> feeds = new HashMap<>();
    try (OrtSession dit = env.createSession(DIT.toString(), new OrtSession.SessionOptions())) {
      feeds.put("latents", floats(env, new float[batch * LATENT], batch, 4, 16, 16, 16));
      feeds.put("timestep", floats(env, fill(batch, 1f), batch, 1));
      // At t' = 1 with stochasticity 1 the next latents are the fresh noise alone.
      feeds.put("next_timestep", floats(env, fill(batch, 1f), batch, 1));
      feeds.put("text_embeddings", floats(env, new float[batch * 64 * 128], batch, 64, 128));
      feeds.put("attention_mask", floats(env, new float[batch * 64], batch, 64));
      feeds.put(
          "negative_text_embeddings", floats(env, new float[batch * 64 * 128], batch, 64, 128));
      feeds.put("negative_attention_mask", floats(env, new float[batch * 64], batch, 64));
      feeds.put("guidance_scale", floats(env, fill(batch, 3f), batch, 1));
      feeds.put(
          "noise_seed",
          OnnxTensor.createTensor(env, LongBuffer.wrap(seeds), new long[] {batch, 1}));
      feeds.put(
          "noise_stream",
          OnnxTensor.createTensor(env, LongBuffer.wrap(streams), new long[] {batch, 1}));
      feeds.put("stochasticity", floats(env, fill(batch, 1f), batch, 1));
      float[] next;
      try (OrtSession.Result result = dit.run(feeds)) {
        FloatBuffer buffer =
            ((OnnxTensor) result.get("next_latents").orElseThrow()).getFloatBuffer();
        next = new float[buffer.remaining()];
        buffer.get(next);
      }
      for (int b = 0; b < batch; b++) {
        float[] want = PhiloxNormalTest.floats(PhiloxNormal.noise(seeds[b], streams[b], LATENT));
        float worst = 0;
        for (int i = 0; i < LATENT; i++) {
          worst = Math.max(worst, Math.abs(next[b * LATENT + i] - want[i]));
        }
        // The same 32-bit words; Box-Muller in doubles (StrictMath here, the graph's own math
        // there) rounded to floats: at most a float's last bit apart.
        assertThat(worst).as("seed %d stream %d", seeds[b], streams[b]).isLessThan(1e-6f);
      }
      // Another stream gives other noise (the test would pass on a graph that ignored it).
      float[] initial = PhiloxNormalTest.floats(PhiloxNormal.noise(seeds[0], LATENT));
      assertThat(Math.abs(next[0] - initial[0]) + Math.abs(next[1] - initial[1]))
          .isGreaterThan(1e-3f);
    } finally {
      feeds.values().forEach(OnnxTensor::close);
    }
  }

  private static float[] fill(int n, float value) {
    float[] values = new float[n];
    java.util.Arrays.fill(values, value);
    return values;
  }

  private static OnnxTensor floats(OrtEnvironment env, float[] values, long... shape)
      throws Exception {
    return OnnxTensor.createTensor(env, FloatBuffer.wrap(values), shape);
  }
}
