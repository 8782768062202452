package dev.framecast.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.protobuf.ByteString;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Priority;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.scheduler.admission.ManualClock;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.job.JobSpec;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.node.TestNodes;
import dev.framecast.scheduler.pipeline.Pipeline;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * schedule() and apply() driven by hand: a fake executor answers each planned request with tensors
 * of the right size, on a manual clock. No threads, no sleeps, no nodes.
 */
class PlannerTest {
  private static final PipelineSpec SPEC = PipelineSpec.reference();

  private final PlannerFixture f = new PlannerFixture(8);
  private final Pipeline pipeline = f.pipeline;
  private final AtomicLong nanos = f.nanos;
  private final ManualClock clock = f.clock;
  private final Node nodeA = f.node("a");
  private final Node nodeB = f.node("b");
  private JobLines lines;
  private NodeStats stats;
  private StepSizing sizing;
  private Planner planner;
  private Outcomes outcomes;

  /** Framecast's own scheduler (continuous batching, fair share) over the nodes. */
  private void setUp(List<Node> nodes, int maxConcurrent) {
    f.start(SchedulingPolicy.continuous(), maxConcurrent, nodes.toArray(Node[]::new));
    lines = f.lines;
    stats = f.stats;
    sizing = f.sizing;
    planner = f.planner;
    outcomes = f.outcomes;
  }

  private Job submit(String tenant, int steps, Priority priority) {
    return f.submit(tenant, steps, priority);
  }

  private void encodedAll() {
    f.encodedAll();
  }

  /** Plans a tick and answers every request, failing every DiT step when {@code failing}. */
  private Plan tick(boolean failing) {
    return f.tick(batch -> failing);
  }

  private static ModelInferResponse answer(Plan.Batch batch) {
    return PlannerFixture.answer(batch);
  }

  @Test
  void aNodeRemovedFromThePoolIsForgottenOnceItsJobsHaveMovedOff() {
    setUp(List.of(nodeA, nodeB), 8);
    List<Job> jobs = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      jobs.add(submit("acme", 50, Priority.PRIORITY_INTERACTIVE));
    }
    tick(false);
    tick(false);
    assertThat(lines.activeOn(nodeB)).isNotEmpty();
    assertThat(stats.knows(nodeB)).isTrue();

    // b leaves discovery: not ready, then removed from the pool.
    dev.framecast.scheduler.node.TestNodes.down(nodeB);
    f.retainNodes(List.of(nodeA));
    assertThat(lines.activeNodes()).as("its jobs have not moved yet").contains(nodeB);
    assertThat(stats.knows(nodeB)).isTrue();
    tick(false); // evicts b's jobs to the queue; a takes them
    f.retainNodes(List.of(nodeA));
    assertThat(lines.activeNodes()).containsOnly(nodeA);
    assertThat(stats.knows(nodeA)).isTrue();
    assertThat(stats.knows(nodeB)).isFalse();
    tick(false);
    assertThat(jobs).allMatch(j -> lines.activeOn(nodeA).contains(j));
  }

  @Test
  void jobsJoinAndLeaveTheBatchBetweenTicks() {
    setUp(List.of(nodeA), 8);
    Job two = submit("acme", 2, Priority.PRIORITY_INTERACTIVE);
    Job four = submit("acme", 4, Priority.PRIORITY_INTERACTIVE);
    Plan encode = tick(false);
    assertThat(encode.batches()).singleElement().isInstanceOf(Plan.Encode.class);
    assertThat(PlannerFixture.stepJobs(tick(false), nodeA)).containsExactly(two, four);

    Job late = submit("acme", 1, Priority.PRIORITY_INTERACTIVE);
    Plan third = tick(false); // late is being encoded while the others step
    assertThat(PlannerFixture.stepJobs(third, nodeA)).containsExactly(two, four);
    assertThat(two.step()).isEqualTo(2);
    assertThat(two.phase()).isEqualTo(JobPhase.DECODING);

    Plan fourth = tick(false); // two has left, late has joined
    assertThat(PlannerFixture.stepJobs(fourth, nodeA)).containsExactlyInAnyOrder(four, late);
    assertThat(fourth.batches())
        .anyMatch(b -> b instanceof Plan.Decode && b.jobs().equals(List.of(two)));
    assertThat(two.phase()).isEqualTo(JobPhase.SUCCEEDED);

    assertThat(PlannerFixture.stepJobs(tick(false), nodeA)).containsExactly(four);
    tick(false);
    assertThat(List.of(two, four, late)).allMatch(j -> j.phase() == JobPhase.SUCCEEDED);
    assertThat(four.gpuSeconds()).isPositive();
  }

  @Test
  void anInteractiveJobPreemptsABatchJobWhichResumesWithItsLatents() {
    setUp(List.of(nodeA), 8);
    // Teach the node's profile that batching gains nothing: one job per step.
    stats.profile(nodeA).observe(1, 0.1);
    stats.profile(nodeA).observe(2, 0.2);
    Job batch = submit("acme", 6, Priority.PRIORITY_BATCH);
    tick(false); // encode
    tick(false);
    tick(false);
    assertThat(batch.step()).isEqualTo(2);

    Job interactive = submit("acme", 2, Priority.PRIORITY_INTERACTIVE);
    tick(false); // the interactive job is encoded while the batch job steps
    assertThat(batch.step()).isEqualTo(3);
    ByteString kept = batch.latents();
    Plan preempting = tick(false);
    assertThat(PlannerFixture.stepJobs(preempting, nodeA)).containsExactly(interactive);
    assertThat(batch.phase()).isEqualTo(JobPhase.READY);
    assertThat(batch.latents()).isSameAs(kept);
    assertThat(batch.step()).isEqualTo(3);

    tick(false);
    assertThat(interactive.phase()).isEqualTo(JobPhase.DECODING);
    Plan resumed = tick(false);
    assertThat(PlannerFixture.stepJobs(resumed, nodeA)).containsExactly(batch);
    assertThat(batch.step()).isEqualTo(4);
  }

  @Test
  void anotherTenantsInteractiveJobsTakeAtMostTheirFairShareOfBatchWork() {
    setUp(List.of(nodeA), 100);
    List<Job> batch = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      batch.add(submit("globex", 50, Priority.PRIORITY_BATCH));
    }
    encodedAll();
    tick(false);
    int capacity = lines.activeOn(nodeA).size();
    assertThat(capacity).as("the node's active set, full of globex's jobs").isBetween(2, 39);
    // The node is full of globex's batch work; acme sends as many interactive jobs.
    List<Job> interactive = new java.util.ArrayList<>();
    for (int i = 0; i < capacity; i++) {
      interactive.add(submit("acme", 50, Priority.PRIORITY_INTERACTIVE));
    }
    encodedAll();
    for (int i = 0; i < 3; i++) {
      tick(false);
    }

    long acme = lines.activeOn(nodeA).stream().filter(j -> j.tenant().equals("acme")).count();
    long globex = lines.activeOn(nodeA).stream().filter(j -> j.tenant().equals("globex")).count();
    // Equal weights: acme takes half the node from globex, and no more.
    assertThat(acme).isEqualTo((capacity + 1) / 2);
    assertThat(globex).isEqualTo(capacity - acme);
  }

  @Test
  void aFailedStepIsRetriedOnTheOtherNodeAndABrokenNodeIsEjected() {
    setUp(List.of(nodeA, nodeB), 8);
    stats.profile(nodeA).observe(1, 0.1);
    stats.profile(nodeA).observe(2, 0.2);
    stats.profile(nodeB).observe(1, 0.1);
    stats.profile(nodeB).observe(2, 0.2);
    Job job = submit("acme", 3, Priority.PRIORITY_INTERACTIVE);
    tick(false); // encode
    Plan first = tick(true);
    Node failed =
        first.batches().stream()
            .filter(b -> b instanceof Plan.Step)
            .findFirst()
            .orElseThrow()
            .node();
    assertThat(job.phase()).isEqualTo(JobPhase.READY);
    assertThat(job.step()).isZero();
    Plan second = tick(true);
    Node other =
        second.batches().stream()
            .filter(b -> b instanceof Plan.Step)
            .findFirst()
            .orElseThrow()
            .node();
    assertThat(other).isNotSameAs(failed);
    // Two failed attempts are within maxAttempts (3): the job keeps going once a node works.
    Plan third = tick(false);
    assertThat(
            PlannerFixture.stepJobs(third, nodeA).size()
                + PlannerFixture.stepJobs(third, nodeB).size())
        .isEqualTo(1);
    assertThat(job.step()).isEqualTo(1);
  }

  @Test
  void aJobFailsWithAClearStatusAfterItsAttemptsRunOut() {
    setUp(List.of(nodeA), 8);
    Job job = submit("acme", 3, Priority.PRIORITY_INTERACTIVE);
    tick(false); // encode
    for (int i = 0; i < 3 && !job.phase().isTerminal(); i++) {
      nanos.addAndGet(Duration.ofSeconds(30).toNanos()); // let the breaker probe again
      tick(true);
    }
    assertThat(job.phase()).isEqualTo(JobPhase.FAILED);
    assertThat(job.error().getCode()).isEqualTo(Status.Code.UNAVAILABLE.value());
    assertThat(job.error().getMessage()).contains("after 3 attempt(s)");
  }

  /**
   * A node that is stopping (a rolling update), full, or unreachable never ran the request: that
   * costs the job none of its attempts, however often it happens, and the job goes on once a node
   * takes it. The same failures from a node that ran the request would have failed the job.
   */
  @Test
  void aRequestThatNeverRanCostsTheJobNoAttempt() {
    setUp(List.of(nodeA), 8);
    Job job = submit("acme", 3, Priority.PRIORITY_INTERACTIVE);
    tick(false); // encode
    List<Status> refusals =
        List.of(
            Status.UNAVAILABLE.withDescription(
                "[request id: 7] Server is stopping, scheduler for model has stopped accepting new"
                    + " inference requests"),
            Status.UNAVAILABLE.withDescription("Exceeds maximum queue size"),
            Status.UNAVAILABLE
                .withDescription("io exception")
                .withCause(new java.net.ConnectException("Connection refused")),
            Status.UNAVAILABLE.withDescription(
                "Request for unknown model: 'dit' version 1 is not at ready state"));
    for (int round = 0; round < 2; round++) {
      for (Status refusal : refusals) {
        nanos.addAndGet(Duration.ofSeconds(30).toNanos()); // let the breaker probe again
        f.tickFailingSteps(refusal);
        assertThat(job.phase()).as("after %s", refusal).isNotEqualTo(JobPhase.FAILED);
      }
    }
    assertThat(job.failedAttempts()).isZero();
    nanos.addAndGet(Duration.ofSeconds(30).toNanos());
    tick(false);
    assertThat(job.step()).isEqualTo(1);
  }

  /**
   * Node a, up to 8 jobs a batch: every batch size takes {@code roundTrip} seconds from the loop's
   * side, of which the node reports {@code compute} seconds as its own.
   */
  private void nodeATimed(double roundTrip, double compute) {
    setUp(List.of(nodeA), 16);
    java.util.Map<Integer, Double> computeByBatch = new java.util.HashMap<>();
    for (int b = 1; b <= 8; b++) {
      stats.profile(nodeA).observe(b, roundTrip);
      computeByBatch.put(b, compute);
    }
    nodeA.setComputeSeconds(java.util.Map.of("dit", computeByBatch));
  }

  @Test
  void whereRpcTimeMattersTwoFullBatchesAlternateOnTheNode() {
    // 10 ms round trips, 5 ms of them compute: half of each step is RPC time.
    nodeATimed(0.010, 0.005);
    for (int i = 0; i < 12; i++) {
      submit("acme", 5, Priority.PRIORITY_INTERACTIVE);
    }
    encodedAll();
    Plan plan = planner.schedule(clock.instant());
    List<Plan.Batch> steps = plan.batches().stream().filter(b -> b instanceof Plan.Step).toList();
    assertThat(steps).extracting(b -> b.jobs().size()).containsExactly(8, 4);
    assertThat(lines.readyCount()).isZero();
  }

  @Test
  void whereComputeDominatesOneBatchIsKept() {
    nodeATimed(0.010, 0.0095);
    for (int i = 0; i < 12; i++) {
      submit("acme", 5, Priority.PRIORITY_INTERACTIVE);
    }
    encodedAll();
    Plan plan = planner.schedule(clock.instant());
    List<Plan.Batch> steps = plan.batches().stream().filter(b -> b instanceof Plan.Step).toList();
    assertThat(steps).extracting(b -> b.jobs().size()).containsExactly(8);
    assertThat(lines.readyCount()).isEqualTo(4);
  }

  @Test
  void aBatchThatWaitedBehindAnotherOnTheNodeIsChargedOnlyItsOwnTime() {
    nodeATimed(0.010, 0.005);
    for (int i = 0; i < 12; i++) {
      submit("acme", 5, Priority.PRIORITY_INTERACTIVE);
    }
    encodedAll();
    List<Plan.Batch> steps =
        planner.schedule(clock.instant()).batches().stream()
            .filter(b -> b instanceof Plan.Step)
            .toList();
    assertThat(steps).hasSize(2);
    // Both sent at t = 0 s; the node runs the first until 10 ms, the second until 15 ms.
    long t0 = 1_000_000_000L;
    outcomes.apply(
        new Command.Done(steps.get(0), answer(steps.get(0)), null, 10_000_000L, t0 + 10_000_000L));
    outcomes.apply(
        new Command.Done(steps.get(1), answer(steps.get(1)), null, 15_000_000L, t0 + 15_000_000L));
    // 8 jobs share 10 ms; 4 jobs share the 5 ms after the first batch, not their 15 ms round trip.
    assertThat(steps.get(0).jobs())
        .allSatisfy(j -> assertThat(j.gpuSeconds()).isCloseTo(0.010 / 8, within(1e-12)));
    assertThat(steps.get(1).jobs())
        .allSatisfy(j -> assertThat(j.gpuSeconds()).isCloseTo(0.005 / 4, within(1e-12)));
  }

  @Test
  void aSlowTurnaroundBetweenStepsAlsoMakesTwoBatchesAlternate() {
    // 10 ms round trips, 9.5 ms of them compute: the round trip alone says "one batch".
    nodeATimed(0.010, 0.0095);
    for (int i = 0; i < 8; i++) {
      submit("acme", 50, Priority.PRIORITY_INTERACTIVE);
    }
    encodedAll();
    Plan plan = planner.schedule(clock.instant());
    assertThat(sizing.rpcMatters(nodeA, pipeline, 8)).isFalse();
    // A gap of 100 ms (ten round trips) is the node waiting for work: not counted.
    f.land(plan);
    clock.advance(Duration.ofMillis(100));
    plan = planner.schedule(clock.instant());
    assertThat(sizing.rpcMatters(nodeA, pipeline, 8)).isFalse();
    // But lone steps 15 ms apart: a third of each cycle the node idles while the loop turns the
    // result around, so the next batch should already be waiting there.
    for (int i = 0; i < 10; i++) {
      f.land(plan);
      clock.advance(Duration.ofMillis(15));
      plan = planner.schedule(clock.instant());
    }
    assertThat(sizing.rpcMatters(nodeA, pipeline, 8)).isTrue();
  }

  /** Round trips of an xl-like DiT: 5 ms of RPC on top of compute that grows with the batch. */
  private void xlProfile(double computePerJob) {
    java.util.Map<Integer, Double> compute = new java.util.HashMap<>();
    for (int b = 1; b <= 16; b *= 2) {
      double seconds = computePerJob > 0 ? computePerJob * b : 0.037;
      compute.put(b, seconds);
      stats.profile(nodeA).observe(b, seconds + 0.005);
    }
    nodeA.setComputeSeconds(java.util.Map.of("dit", compute));
  }

  @Test
  void wherePipeliningHidesTheRpcTheBatchIsSizedOnTheNodesCompute() {
    setUp(List.of(nodeA), 16);
    xlProfile(0.037); // compute linear in the batch: batching buys the GPU nothing
    // Round trips alone say batch 4 (amortising 5 ms of RPC), but two micro-batches hide the RPC.
    assertThat(sizing.rpcMatters(nodeA, pipeline, 1)).isTrue();
    assertThat(sizing.batchSize(nodeA, pipeline)).isEqualTo(1);
  }

  @Test
  void whereComputeGainsFromBatchingTheBatchStaysLarge() {
    setUp(List.of(nodeA), 16);
    xlProfile(0); // compute flat at 37 ms whatever the batch: a small DiT
    assertThat(sizing.batchSize(nodeA, pipeline)).isEqualTo(pipeline.maxBatchSize());
  }

  @Test
  void withoutTheNodesStatisticsOneBatchIsKept() {
    setUp(List.of(nodeA), 16);
    for (int b = 1; b <= 8; b++) {
      stats.profile(nodeA).observe(b, 0.010);
    }
    assertThat(sizing.rpcMatters(nodeA, pipeline, 8)).isFalse();
  }

  @Test
  void anEncoderThatTakesOnePromptAtATimeStillEncodesEveryJob() {
    setUp(List.of(nodeA), 8);
    Pipeline one = PlannerFixture.tiny(SPEC, 1);
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      GenerateRequest request =
          GenerateRequest.newBuilder()
              .setPrompt("prompt " + i)
              .setNegativePrompt("blurry")
              .setModel("reference")
              .setSteps(1)
              .setGuidanceScale(4f)
              .setSeed(i)
              .build();
      Job job = new Job("one-" + i, "acme", JobSpec.of(request), one, clock.instant(), 1 << 20);
      lines.enqueue(job);
      jobs.add(job);
    }
    for (int tick = 0; tick < 12 && !jobs.stream().allMatch(j -> j.phase().isTerminal()); tick++) {
      Plan plan = tick(false);
      plan.batches().stream()
          .filter(b -> b instanceof Plan.Encode)
          .forEach(b -> assertThat(((Plan.Encode) b).prompts()).hasSize(1));
    }
    assertThat(jobs).allMatch(j -> j.phase() == JobPhase.SUCCEEDED);
  }

  @Test
  void aFullPipelineDoesNotHoldBackJobsOfAnotherPipeline() {
    Node nodeOther = TestNodes.ready("other", nanos::get, "text_encoder", "dit2", "vae");
    setUp(List.of(nodeA, nodeOther), 8);
    for (Node node : List.of(nodeA, nodeOther)) {
      stats.profile(node).observe(1, 0.1);
      stats.profile(node).observe(2, 0.2); // linear: one job per node
    }
    Pipeline other =
        PlannerFixture.tiny(new PipelineSpec("other", "text_encoder", "dit2", "vae", "", false), 8);
    Job first = submit("acme", 5, Priority.PRIORITY_INTERACTIVE);
    Job second = submit("acme", 5, Priority.PRIORITY_INTERACTIVE);
    GenerateRequest request =
        GenerateRequest.newBuilder()
            .setPrompt("o")
            .setModel("other")
            .setSteps(5)
            .setGuidanceScale(4f)
            .setSeed(9)
            .build();
    Job third = new Job("other-job", "acme", JobSpec.of(request), other, clock.instant(), 1 << 20);
    lines.enqueue(third);
    encodedAll();
    Plan plan = planner.schedule(clock.instant());
    assertThat(PlannerFixture.stepJobs(plan, nodeA)).containsExactly(first);
    assertThat(PlannerFixture.stepJobs(plan, nodeOther)).containsExactly(third);
    assertThat(second.phase()).isEqualTo(JobPhase.READY);
  }

  @Test
  void jobsLeaveANodeThatNoLongerServesTheirDit() {
    setUp(List.of(nodeA, nodeB), 8);
    for (Node node : List.of(nodeA, nodeB)) {
      stats.profile(node).observe(1, 0.1);
      stats.profile(node).observe(2, 0.2);
    }
    Job job = submit("acme", 5, Priority.PRIORITY_INTERACTIVE);
    encodedAll();
    Plan first = tick(false);
    Node was =
        first.batches().stream()
            .filter(b -> b instanceof Plan.Step)
            .findFirst()
            .orElseThrow()
            .node();
    Node other = was == nodeA ? nodeB : nodeA;
    TestNodes.setModels(was, "text_encoder", "vae"); // the DiT was unloaded there
    Plan next = tick(false);
    assertThat(PlannerFixture.stepJobs(next, other)).containsExactly(job);
    assertThat(PlannerFixture.stepJobs(next, was)).isEmpty();
  }

  @Test
  void maxConcurrentJobsKeepsTheRestQueued() {
    setUp(List.of(nodeA), 1);
    Job first = submit("acme", 3, Priority.PRIORITY_INTERACTIVE);
    Job second = submit("acme", 3, Priority.PRIORITY_INTERACTIVE);
    Job other = submit("globex", 3, Priority.PRIORITY_INTERACTIVE);
    tick(false); // encode
    Plan plan = tick(false);
    assertThat(PlannerFixture.stepJobs(plan, nodeA)).containsExactlyInAnyOrder(first, other);
    assertThat(second.phase()).isEqualTo(JobPhase.READY);
  }
}
