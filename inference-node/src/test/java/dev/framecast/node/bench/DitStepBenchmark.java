package dev.framecast.node.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** ONNX Runtime time of one reference DiT step (with classifier-free guidance) per batch size. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 3, time = 5)
// JMH's forked VM dies with SIGSEGV and no hs_err report (a native stack overflow) unless its
// threads get a larger stack; the node itself and its tests run with the default.
@Fork(value = 1, jvmArgsAppend = "-Xss4m")
public class DitStepBenchmark {
  @Param({"1", "2", "4", "8"})
  public int batch;

  private OrtEnvironment env;
  private OrtSession session;
  private final Map<String, OnnxTensor> inputs = new HashMap<>();

  @Setup(Level.Trial)
  public void load() throws Exception {
    env = OrtEnvironment.getEnvironment();
    Path model =
        Path.of(
            System.getProperty("framecast.modelRepository", "../triton-models"),
            "dit/1/model.onnx");
    session = env.createSession(model.toString(), new OrtSession.SessionOptions());
    SplittableRandom random = new SplittableRandom(1);
    put("latents", random, batch, 4, 16, 16, 16);
    put("timestep", random, batch, 1);
    put("next_timestep", random, batch, 1);
    put("text_embeddings", random, batch, 64, 128);
    put("attention_mask", random, batch, 64);
    put("negative_text_embeddings", random, batch, 64, 128);
    put("negative_attention_mask", random, batch, 64);
    put("guidance_scale", random, batch, 1);
    // The re-noising sampler: each row's seed and stream, fresh noise fully mixed in.
    long[] seeds = new long[batch];
    long[] streams = new long[batch];
    float[] stochasticity = new float[batch];
    for (int i = 0; i < batch; i++) {
      seeds[i] = random.nextLong();
      streams[i] = 1 + i;
      stochasticity[i] = 1f;
    }
    long[] scalar = {batch, 1};
    inputs.put("noise_seed", OnnxTensor.createTensor(env, LongBuffer.wrap(seeds), scalar));
    inputs.put("noise_stream", OnnxTensor.createTensor(env, LongBuffer.wrap(streams), scalar));
    inputs.put(
        "stochasticity", OnnxTensor.createTensor(env, FloatBuffer.wrap(stochasticity), scalar));
  }

  private void put(String name, SplittableRandom random, long... shape) throws Exception {
    int count = 1;
    for (long d : shape) {
      count *= (int) d;
    }
    float[] data = new float[count];
    for (int i = 0; i < count; i++) {
      data[i] = (float) random.nextDouble();
    }
    inputs.put(name, OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape));
  }

  @Benchmark
  public float step() throws Exception {
    try (OrtSession.Result result = session.run(inputs)) {
      return ((OnnxTensor) result.get(0)).getFloatBuffer().get(0);
    }
  }

  @TearDown(Level.Trial)
  public void close() throws Exception {
    for (OnnxTensor tensor : inputs.values()) {
      tensor.close();
    }
    session.close();
  }
}
