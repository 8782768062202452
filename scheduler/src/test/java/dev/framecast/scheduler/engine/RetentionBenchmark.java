package dev.framecast.scheduler.engine;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobSpec;
import dev.framecast.scheduler.node.NodePool;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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

/**
 * What a job costs the engine once its retention bound is full of ended jobs, as on a gateway that
 * has run for a while: {@code submitAndCancel} submits a job (on the caller's thread, which makes
 * room by forgetting an ended one), cancels it, and waits until the loop has ended it (a loop pass
 * with its per-tick deadline check). No node is attached, so nothing else runs.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RetentionBenchmark {
  @Param({"1000", "10000"})
  public int retained;

  private Engine engine;
  private ExecutorService workers;
  private long seed;

  @Setup(Level.Trial)
  public void setUp() throws InterruptedException {
    EngineConfig d = EngineConfig.defaults();
    // No node is attached: queued jobs must not time out.
    EngineConfig config =
        TestParts.config(
            retained, d.maxCommands(), d.maxEventBytes(), Duration.ofHours(1), d.jobTimeout());
    workers = Executors.newSingleThreadExecutor();
    engine =
        new Engine(
            config,
            Map.of("reference", TickBenchmark.PIPELINE),
            new NodePool(List.of(), Set.of("text_encoder", "dit", "vae"), Duration.ofSeconds(1)),
            tenant -> 1.0,
            tenant -> 8,
            UsageSink.NONE,
            null,
            TestParts.discardingStore(),
            workers,
            Clock.systemUTC());
    for (int i = 0; i < retained; i++) {
      submitAndCancel();
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    engine.close();
    workers.shutdownNow();
  }

  @Benchmark
  public Job submitAndCancel() throws InterruptedException {
    Job job =
        engine.submit(
            "tenant-" + (seed % 3),
            JobSpec.of(
                GenerateRequest.newBuilder()
                    .setPrompt("p")
                    .setModel("reference")
                    .setSteps(4)
                    .setGuidanceScale(4f)
                    .setSeed(seed++)
                    .build()));
    engine.cancel(job.id(), "benchmark");
    while (!job.phase().isTerminal()) {
      Thread.onSpinWait();
    }
    return job;
  }
}
