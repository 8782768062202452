package dev.framecast.scheduler.engine;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Priority;
import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobSpec;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.node.NodePool;
import dev.framecast.scheduler.node.TestNodes;
import dev.framecast.scheduler.pipeline.Pipeline;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The loop's own cost per tick with 32 jobs in one DiT batch of the reference shapes: {@code tick}
 * plans the batch (request assembly as ropes) and applies its result (32 jobs advanced, accounting,
 * events); the node's answer is prepared once. {@code assembleAndSerialize} writes the planned
 * request to bytes (what gRPC sends) and {@code plainCopy} copies the same number of bytes with
 * System.arraycopy, the floor for any assembly.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Xss4m")
public class TickBenchmark {
  private static final int JOBS = 32;
  static final Pipeline PIPELINE =
      new Pipeline(
          PipelineSpec.reference(),
          new Pipeline.Text(Pipeline.UTF8_BYTES, 64, 256),
          new Pipeline.Latents(4, 16, 16, 16),
          new Pipeline.Steps(24, 1, 100_000),
          new Pipeline.Guidance(4f, 0f, 20f),
          Pipeline.Schedule.LINEAR_UNSHIFTED,
          Pipeline.PHILOX_NORMAL,
          new Pipeline.Sampler(Pipeline.RENOISE, 1f),
          new Pipeline.Video(64, 64, 8f),
          32);

  private EngineParts parts;
  private Planner planner;
  private Node node;
  private ModelInferResponse answer;
  private ModelInferRequest planned;
  private List<Job> active;
  private byte[] source;
  private byte[] target;

  @Setup(Level.Iteration)
  public void setUp() {
    Clock clock = Clock.systemUTC();
    node = TestNodes.ready("bench", System::nanoTime, "text_encoder", "dit", "vae");
    NodePool pool =
        new NodePool(List.of(node), Set.of("text_encoder", "dit", "vae"), Duration.ofSeconds(1));
    EngineConfig config = EngineConfig.defaults();
    parts =
        EngineParts.wire(
            config,
            pool,
            EngineParts.readyQueue(config.policy(), t -> 1.0, clock),
            t -> 1000,
            UsageSink.NONE,
            null,
            TestParts.discardingStore(),
            Runnable::run,
            c -> {},
            clock,
            Journal.NONE);
    planner = parts.planner();
    Job.TextEmbedding text =
        new Job.TextEmbedding(
            ByteString.copyFrom(new byte[64 * 256 * 4]), ByteString.copyFrom(new byte[64 * 4]));
    for (int i = 0; i < JOBS; i++) {
      GenerateRequest request =
          GenerateRequest.newBuilder()
              .setPrompt("p")
              .setModel("reference")
              .setSteps(100_000)
              .setGuidanceScale(4f)
              .setSeed(i)
              .setPriority(Priority.PRIORITY_INTERACTIVE)
              .build();
      Job job =
          new Job(
              "job-" + i,
              "tenant-" + (i % 3),
              JobSpec.of(request),
              PIPELINE,
              clock.instant(),
              1L << 40);
      job.setText(text, text);
      parts.lines().enqueue(job);
    }
    parts.lines().triageWaitingForText(job -> JobLines.Triage.READY);
    Plan first = planner.schedule(clock.instant());
    answer = PlannerFixture.answer(first.batches().get(0));
    planned = first.batches().get(0).request();
    active = first.batches().get(0).jobs();
    // Let the first batch come back so later ticks are steady-state ones.
    parts.lines().landed(active);
    source = new byte[planned.getSerializedSize()];
    target = new byte[source.length];
  }

  @Benchmark
  public Plan tick() {
    Plan plan = planner.schedule(java.time.Instant.EPOCH);
    for (Plan.Batch batch : plan.batches()) {
      node.addInFlight(1);
      parts.apply(new Command.Done(batch, answer, null, 1_000_000));
    }
    return plan;
  }

  /** Builds the 32-job DiT request from the jobs' tensors: ropes, no copy of tensor bytes. */
  @Benchmark
  public ModelInferRequest assemble() {
    return Requests.step(active);
  }

  /**
   * Writes the planned request (ropes of the jobs' tensors) into a reused buffer, as a plain copy
   * of the same bytes does: the scheduler's single copy, on the way to the wire.
   */
  @Benchmark
  public byte[] assembleAndSerialize() throws java.io.IOException {
    CodedOutputStream stream = CodedOutputStream.newInstance(target);
    planned.writeTo(stream);
    return target;
  }

  @Benchmark
  public byte[] plainCopy() {
    System.arraycopy(source, 0, target, 0, source.length);
    return target;
  }
}
