package dev.framecast.scheduler.engine;

import com.google.protobuf.ByteString;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Priority;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.scheduler.admission.ManualClock;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobSpec;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.node.NodePool;
import dev.framecast.scheduler.node.TestNodes;
import dev.framecast.scheduler.pipeline.ModelContract;
import dev.framecast.scheduler.pipeline.Pipeline;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A real planner and outcomes under any scheduling policy, driven by hand: a fake executor answers
 * each planned request with tensors of the right size (or fails the ones the test picks), on a
 * manual clock. No threads, no sleeps, no nodes.
 */
final class PlannerFixture {
  /** Tiny shapes: text 4 x 8, latents 2 x 2 x 2 x 2, frames 2 of 4 x 4. */
  static Pipeline tiny(int maxBatch) {
    return tiny(PipelineSpec.reference(), maxBatch);
  }

  /** The tiny shapes for another set of models. */
  static Pipeline tiny(PipelineSpec spec, int maxBatch) {
    return new Pipeline(
        spec,
        new Pipeline.Text(Pipeline.UTF8_BYTES, 4, 8),
        new Pipeline.Latents(2, 2, 2, 2),
        new Pipeline.Steps(4, 1, 50),
        new Pipeline.Guidance(4f, 0f, 20f),
        Pipeline.Schedule.LINEAR_UNSHIFTED,
        Pipeline.PHILOX_NORMAL,
        new Pipeline.Sampler(Pipeline.RENOISE, 1f),
        new Pipeline.Video(4, 4, 8f),
        maxBatch);
  }

  final AtomicLong nanos = new AtomicLong();
  final ManualClock clock = new ManualClock(Instant.parse("2026-11-25T00:00:00Z"));
  final List<Command> inbox = new ArrayList<>();
  final Pipeline pipeline;
  EngineParts parts;
  JobLines lines;
  NodeStats stats;
  StepSizing sizing;
  Planner planner;
  Outcomes outcomes;
  private int ids;
  private ClipStore store = TestParts.discardingStore();
  private Journal journal = Journal.NONE;
  private int checkpointEvery;

  /**
   * Before {@link #start}: jobs are checkpointed into {@code store} every {@code every} steps, as
   * with a job store (whose journal here acknowledges everything and writes nothing).
   */
  PlannerFixture checkpointing(ClipStore store, int every) {
    this.store = store;
    this.checkpointEvery = every;
    this.journal =
        new Journal() {
          @Override
          public boolean durable() {
            return true;
          }

          @Override
          public java.util.concurrent.CompletableFuture<Void> admitted(
              Job job, byte[] keyedRequest) {
            return java.util.concurrent.CompletableFuture.completedFuture(null);
          }

          @Override
          public void resumed(Job job, double storedGpuSeconds) {}

          @Override
          public void changed(Job job) {}
        };
    return this;
  }

  PlannerFixture(int maxBatch) {
    this.pipeline = tiny(maxBatch);
  }

  /** A node hosting the reference models whose breaker runs on this fixture's time. */
  Node node(String name) {
    return TestNodes.ready(name, nanos::get, "text_encoder", "dit", "vae");
  }

  /** Builds the engine's parts over the nodes, as {@link Engine} wires them for the policy. */
  PlannerFixture start(SchedulingPolicy policy, int maxConcurrent, Node... nodes) {
    NodePool pool =
        new NodePool(List.of(nodes), Set.of("text_encoder", "dit", "vae"), Duration.ofSeconds(1));
    EngineConfig config =
        EngineConfig.builder().policy(policy).checkpointEvery(checkpointEvery).build();
    ClipRenderer renderer =
        new ClipRenderer() {
          @Override
          public Rendered render(
              byte[] rgb, int frames, int height, int width, float fps, boolean png) {
            return new Rendered(List.of(), rgb, "video/mp4");
          }

          @Override
          public byte[] preview(byte[] rgb, int frames, int height, int width) {
            return new byte[] {1};
          }
        };
    parts =
        EngineParts.wire(
            config,
            pool,
            EngineParts.readyQueue(policy, t -> 1.0, clock),
            t -> maxConcurrent,
            UsageSink.NONE,
            renderer,
            store,
            Runnable::run,
            inbox::add,
            clock,
            journal);
    lines = parts.lines();
    stats = parts.stats();
    sizing = parts.sizing();
    planner = parts.planner();
    outcomes = parts.outcomes();
    return this;
  }

  /** Teaches the node's profile that batching gains nothing (continuous batching takes 1). */
  void linearProfile(Node node) {
    stats.profile(node).observe(1, 0.1);
    stats.profile(node).observe(2, 0.2);
  }

  /** The pool now has only {@code current}: the engine forgets what it can of the others. */
  void retainNodes(List<Node> current) {
    stats.retain(lines.retainNodes(current));
  }

  /** Lets the plan's requests land unanswered, so the next tick may plan for their jobs again. */
  void land(Plan plan) {
    plan.batches().forEach(b -> lines.landed(b.jobs()));
  }

  /** Admits a job now (it waits for text encoding). */
  Job submit(String tenant, int steps, Priority priority) {
    return submit(tenant, steps, priority, 0);
  }

  Job submit(String tenant, int steps, Priority priority, int previewEvery) {
    GenerateRequest request =
        GenerateRequest.newBuilder()
            .setPrompt("p" + ids)
            .setModel("reference")
            .setSteps(steps)
            .setGuidanceScale(4f)
            .setSeed(ids)
            .setPriority(priority)
            .setPreviewEvery(previewEvery)
            .build();
    Job job =
        new Job(
            tenant + "-" + ids++, tenant, JobSpec.of(request), pipeline, clock.instant(), 1 << 20);
    lines.enqueue(job);
    return job;
  }

  /** Marks every waiting job encoded (as if its prompts were cached): they become ready now. */
  void encodedAll() {
    Job.TextEmbedding text =
        new Job.TextEmbedding(
            ByteString.copyFrom(new byte[4 * 8 * 4]), ByteString.copyFrom(new byte[4 * 4]));
    lines.triageWaitingForText(
        job -> {
          job.setText(text, text);
          return JobLines.Triage.READY;
        });
  }

  /** Plans a tick and answers every request. */
  Plan tick() {
    return tick(batch -> false);
  }

  /**
   * Plans a tick and answers every request; DiT steps that {@code fails} picks fail UNAVAILABLE.
   */
  Plan tick(Predicate<Plan.Batch> fails) {
    return tickAnswering(
        batch -> batch instanceof Plan.Step && fails.test(batch) ? null : answer(batch));
  }

  /** Plans a tick and answers each request with {@code answers} (null: it fails UNAVAILABLE). */
  Plan tickAnswering(java.util.function.Function<Plan.Batch, ModelInferResponse> answers) {
    return tickAnswering(answers, Status.UNAVAILABLE);
  }

  /** Plans a tick; DiT steps fail with {@code failure}, every other request is answered. */
  Plan tickFailingSteps(Status failure) {
    return tickAnswering(batch -> batch instanceof Plan.Step ? null : answer(batch), failure);
  }

  private Plan tickAnswering(
      java.util.function.Function<Plan.Batch, ModelInferResponse> answers, Status failure) {
    Plan plan = planner.schedule(clock.instant());
    for (Plan.Batch batch : plan.batches()) {
      batch.node().addInFlight(1);
      nanos.addAndGet(1_000_000);
      ModelInferResponse response = answers.apply(batch);
      if (response == null) {
        parts.apply(new Command.Done(batch, null, failure.asRuntimeException(), 1_000_000));
      } else {
        parts.apply(new Command.Done(batch, response, null, 10_000_000L * batch.jobs().size()));
      }
    }
    List<Command> later = new ArrayList<>(inbox);
    inbox.clear();
    for (Command command : later) {
      if (command instanceof Command.Rendered r) {
        parts.endings().rendered(r);
      } else if (command instanceof Command.PreviewReady p) {
        outcomes.previewReady(p);
      }
    }
    return plan;
  }

  /**
   * Zeros of the right datatype and shape for every output the batch asked for, listed by name as
   * Triton's ONNX Runtime backend lists them.
   */
  static ModelInferResponse answer(Plan.Batch batch) {
    ModelInferResponse.Builder response = ModelInferResponse.newBuilder();
    List<Outputs.Expected> expected =
        new ArrayList<>(Outputs.expected(batch, ModelContract.of(batch.pipeline())));
    expected.sort(java.util.Comparator.comparing(Outputs.Expected::name));
    for (Outputs.Expected output : expected) {
      long bytes = output.datatype().equals("UINT8") ? 1 : 4;
      var tensor =
          response.addOutputsBuilder().setName(output.name()).setDatatype(output.datatype());
      for (long dim : output.shape()) {
        tensor.addShape(dim);
        bytes *= dim;
      }
      response.addRawOutputContents(zeros(bytes));
    }
    return response.build();
  }

  private static ByteString zeros(long n) {
    return ByteString.copyFrom(new byte[(int) n]);
  }

  /** The jobs of the plan's DiT batches on the node. */
  static List<Job> stepJobs(Plan plan, Node node) {
    return plan.batches().stream()
        .filter(b -> b instanceof Plan.Step && b.node() == node)
        .flatMap(b -> b.jobs().stream())
        .toList();
  }

  /** The DiT batches of the plan, each as its jobs. */
  static List<List<Job>> steps(Plan plan) {
    return plan.batches().stream()
        .filter(b -> b instanceof Plan.Step)
        .map(Plan.Batch::jobs)
        .toList();
  }
}
