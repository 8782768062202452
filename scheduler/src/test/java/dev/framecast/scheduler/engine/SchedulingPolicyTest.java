package dev.framecast.scheduler.engine;

import static dev.framecast.scheduler.engine.PlannerFixture.stepJobs;
import static dev.framecast.scheduler.engine.PlannerFixture.steps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.Priority;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.node.TestNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The baselines (FCFS, static batching) against continuous batching, each driven tick by tick with
 * the fake executor and a manual clock: who runs where, in which order, and when.
 */
class SchedulingPolicyTest {
  private static final Priority INTERACTIVE = Priority.PRIORITY_INTERACTIVE;
  private static final Priority BATCH = Priority.PRIORITY_BATCH;
  private static final Duration DELAY = Duration.ofMillis(200);

  private final PlannerFixture f = new PlannerFixture(8);
  private final Node nodeA = f.node("a");
  private final Node nodeB = f.node("b");

  /**
   * Ticks until every job has ended; returns the jobs each tick stepped, asserting per-node sets.
   */
  private List<List<Job>> runToEnd(List<Job> jobs, int maxPerNode) {
    List<List<Job>> stepped = new ArrayList<>();
    for (int tick = 0; tick < 200 && !jobs.stream().allMatch(j -> j.phase().isTerminal()); tick++) {
      for (Node node : List.of(nodeA, nodeB)) {
        assertThat(f.lines.activeOn(node).size()).isLessThanOrEqualTo(maxPerNode);
      }
      Plan plan = f.tick();
      stepped.add(steps(plan).stream().flatMap(List::stream).toList());
    }
    assertThat(jobs).allMatch(j -> j.phase() == JobPhase.SUCCEEDED);
    return stepped;
  }

  /** The order jobs first stepped in. */
  private static List<Job> firstStepOrder(List<List<Job>> stepped) {
    return stepped.stream().flatMap(List::stream).distinct().toList();
  }

  // FCFS

  @Test
  void fcfsServesAFloodingTenantsEarlierJobsFirstOneAtATime() {
    f.start(SchedulingPolicy.fcfs(), 8, nodeA);
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      jobs.add(f.submit("flood", 3, INTERACTIVE));
      f.clock.advance(Duration.ofMillis(1));
    }
    Job quiet = f.submit("quiet", 3, INTERACTIVE);
    jobs.add(quiet);
    f.encodedAll();

    List<List<Job>> stepped = runToEnd(jobs, 1);

    // Every tick steps at most one job, and a job runs to its end before the next starts.
    assertThat(stepped).allMatch(s -> s.size() <= 1);
    List<Job> sequence = stepped.stream().flatMap(List::stream).toList();
    List<Job> expected = new ArrayList<>();
    jobs.forEach(j -> expected.addAll(List.of(j, j, j)));
    assertThat(sequence).containsExactlyElementsOf(expected);
  }

  @Test
  void underFairShareTheQuietTenantGoesBeforeTheFloodsLaterJobs() {
    f.start(SchedulingPolicy.continuous(), 8, nodeA);
    f.linearProfile(nodeA); // one job per batch, as under FCFS: only the order differs
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      jobs.add(f.submit("flood", 3, INTERACTIVE));
      f.clock.advance(Duration.ofMillis(1));
    }
    Job quiet = f.submit("quiet", 3, INTERACTIVE);
    jobs.add(quiet);
    f.encodedAll();

    List<Job> order = firstStepOrder(runToEnd(jobs, 1));

    assertThat(order).containsExactly(jobs.get(0), quiet, jobs.get(1), jobs.get(2));
  }

  @Test
  void fcfsIgnoresPriorityAndNeverPreempts() {
    f.start(SchedulingPolicy.fcfs(), 8, nodeA);
    Job early = f.submit("acme", 4, BATCH);
    f.encodedAll();
    f.tick();
    Job interactive = f.submit("globex", 2, INTERACTIVE);
    f.encodedAll();

    Plan plan = f.tick();

    // Continuous batching would hand the batch job's slot to the interactive job here.
    assertThat(stepJobs(plan, nodeA)).containsExactly(early);
    assertThat(interactive.phase()).isEqualTo(JobPhase.READY);
    assertThat(firstStepOrder(runToEnd(List.of(early, interactive), 1)))
        .containsExactly(early, interactive);
  }

  @Test
  void fcfsPutsOneJobOnEachNodeWhereTheProfileWouldBatchEveryone() {
    f.start(SchedulingPolicy.fcfs(), 8, nodeA, nodeB); // no profile: continuous would batch 8
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      jobs.add(f.submit(i % 2 == 0 ? "acme" : "globex", 2, INTERACTIVE));
      f.clock.advance(Duration.ofMillis(1));
    }
    f.encodedAll();

    Plan plan = f.tick();

    assertThat(steps(plan)).hasSize(2).allMatch(s -> s.size() == 1);
    assertThat(stepJobs(plan, nodeA)).containsExactly(jobs.get(0));
    assertThat(stepJobs(plan, nodeB)).containsExactly(jobs.get(1));
    assertThat(jobs.subList(2, 5)).allMatch(j -> j.phase() == JobPhase.READY);
    runToEnd(jobs, 1);
  }

  @Test
  void continuousBatchesThoseSameJobsTogether() {
    f.start(SchedulingPolicy.continuous(), 8, nodeA, nodeB);
    for (int i = 0; i < 5; i++) {
      f.submit("acme", 2, INTERACTIVE);
    }
    f.encodedAll();

    Plan plan = f.tick();

    assertThat(steps(plan).stream().mapToInt(List::size).sum()).isEqualTo(5);
    assertThat(steps(plan)).anyMatch(s -> s.size() > 1);
  }

  @Test
  void underFcfsAJobOfAFailedNodeResumesElsewhereBeforeLaterArrivals() {
    f.start(SchedulingPolicy.fcfs(), 8, nodeA, nodeB);
    Job first = f.submit("acme", 4, INTERACTIVE);
    f.clock.advance(Duration.ofMillis(1));
    Job second = f.submit("globex", 5, INTERACTIVE);
    f.clock.advance(Duration.ofMillis(1));
    Job third = f.submit("acme", 2, INTERACTIVE);
    f.encodedAll();
    f.tick();
    f.tick();
    assertThat(f.lines.activeOn(nodeA)).containsExactly(first);
    assertThat(first.step()).isEqualTo(2);
    var latents = first.latents();

    f.tick(batch -> batch.node() == nodeA); // node a fails first's third step
    TestNodes.setModels(nodeA, "text_encoder", "vae"); // and loses its DiT
    assertThat(first.phase()).isEqualTo(JobPhase.READY);
    assertThat(first.step()).isEqualTo(2);
    assertThat(first.latents()).isSameAs(latents);

    // b finishes second, then takes first (admitted before third), which resumes at step 2.
    List<Job> next = new ArrayList<>();
    for (int tick = 0; tick < 10 && first.step() < 4; tick++) {
      Plan plan = f.tick();
      assertThat(stepJobs(plan, nodeA)).isEmpty();
      next.addAll(stepJobs(plan, nodeB));
    }
    assertThat(next.stream().distinct().toList()).containsExactly(second, first);
    assertThat(first.step()).isEqualTo(4);
    assertThat(third.phase()).isEqualTo(JobPhase.READY);
    runToEnd(List.of(first, second, third), 1);
  }

  // Static batching

  @Test
  void staticBatchingWaitsForAFullBatchThenRunsItTogether() {
    f.start(SchedulingPolicy.staticBatching(3, DELAY), 8, nodeA);
    Job a = f.submit("acme", 2, INTERACTIVE);
    Job b = f.submit("globex", 2, INTERACTIVE);
    f.encodedAll();
    java.time.Instant readyAt = f.clock.instant();

    Plan waiting = f.tick();
    assertThat(steps(waiting)).isEmpty();
    assertThat(waiting.wakeAt()).isEqualTo(readyAt.plus(DELAY));

    f.clock.advance(Duration.ofMillis(50));
    Job c = f.submit("acme", 2, INTERACTIVE);
    f.encodedAll();
    Plan full = f.tick();
    assertThat(steps(full)).containsExactly(List.of(a, b, c));
    assertThat(full.wakeAt()).isNull();
  }

  @Test
  void staticBatchingTakesWhatIsQueuedWhenTheOldestHasWaitedTheDelay() {
    f.start(SchedulingPolicy.staticBatching(4, DELAY), 8, nodeA);
    Job a = f.submit("acme", 2, INTERACTIVE);
    f.encodedAll();
    f.clock.advance(Duration.ofMillis(120));
    Job b = f.submit("globex", 2, INTERACTIVE);
    f.encodedAll();

    f.clock.advance(Duration.ofMillis(79)); // a has waited 199 ms
    Plan early = f.tick();
    assertThat(steps(early)).isEmpty();
    assertThat(early.wakeAt()).isEqualTo(f.clock.instant().plusMillis(1));

    f.clock.advance(Duration.ofMillis(1));
    assertThat(steps(f.tick())).containsExactly(List.of(a, b));
  }

  @Test
  void staticBatchingRefusesJoinsUntilTheWholeSetHasLeftThenTakesTheNextGroup() {
    f.start(SchedulingPolicy.staticBatching(3, DELAY), 8, nodeA);
    List<Job> first = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      first.add(f.submit("acme", 3, INTERACTIVE));
    }
    f.encodedAll();
    assertThat(steps(f.tick())).containsExactly(first);

    // Three more arrive while the group runs: a full group, but the set is closed.
    List<Job> second = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      second.add(f.submit("globex", 3, INTERACTIVE));
    }
    f.encodedAll();
    f.clock.advance(DELAY.multipliedBy(2));
    assertThat(steps(f.tick())).containsExactly(first);
    assertThat(steps(f.tick())).containsExactly(first);
    assertThat(second).allMatch(j -> j.phase() == JobPhase.READY);

    // The first group has left (decoding): the next group starts at once, being full.
    Plan next = f.tick();
    assertThat(steps(next)).containsExactly(second);
    assertThat(next.batches()).anyMatch(b -> b instanceof Plan.Decode);
  }

  @Test
  void underStaticBatchingAShortJobLeavesEarlyAndNobodyTakesItsPlace() {
    f.start(SchedulingPolicy.staticBatching(3, DELAY), 8, nodeA);
    Job one = f.submit("acme", 1, INTERACTIVE);
    Job two = f.submit("acme", 2, INTERACTIVE);
    Job four = f.submit("globex", 4, INTERACTIVE);
    f.encodedAll();
    assertThat(steps(f.tick())).containsExactly(List.of(one, two, four));
    assertThat(one.phase()).isEqualTo(JobPhase.DECODING);

    Job late = f.submit("initech", 1, INTERACTIVE);
    f.encodedAll();
    f.clock.advance(DELAY); // late's delay has run out: only the closed set holds it back
    assertThat(steps(f.tick())).containsExactly(List.of(two, four));
    assertThat(steps(f.tick())).containsExactly(List.of(four));
    assertThat(steps(f.tick())).containsExactly(List.of(four));
    assertThat(late.phase()).isEqualTo(JobPhase.READY);
    assertThat(four.phase()).isEqualTo(JobPhase.DECODING);

    assertThat(steps(f.tick())).containsExactly(List.of(late));
    runToEnd(List.of(one, two, four, late), 3);
  }

  @Test
  void staticBatchingTakesTheEarliestArrivalsAcrossTenants() {
    f.start(SchedulingPolicy.staticBatching(2, DELAY), 8, nodeA, nodeB);
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      jobs.add(f.submit(i < 3 ? "flood" : "quiet", 2, i == 4 ? INTERACTIVE : BATCH));
      f.clock.advance(Duration.ofMillis(1));
    }
    f.encodedAll();

    Plan plan = f.tick();

    assertThat(stepJobs(plan, nodeA)).containsExactly(jobs.get(0), jobs.get(1));
    assertThat(stepJobs(plan, nodeB)).containsExactly(jobs.get(2), jobs.get(3));
    assertThat(jobs.get(4).phase()).isEqualTo(JobPhase.READY);
    assertThat(plan.wakeAt()).isNull(); // no idle node: nothing falls due
  }

  @Test
  void aStaticBatchIsCappedByThePipelinesMaxBatchSize() {
    PlannerFixture small = new PlannerFixture(2);
    Node node = small.node("a");
    small.start(SchedulingPolicy.staticBatching(8, DELAY), 8, node);
    for (int i = 0; i < 5; i++) {
      small.submit("acme", 2, INTERACTIVE);
    }
    small.encodedAll();

    assertThat(steps(small.tick())).singleElement().satisfies(s -> assertThat(s).hasSize(2));
    assertThat(small.lines.activeOn(node)).hasSize(2);
  }

  @Test
  void staticBatchingRespectsATenantsConcurrencyLimit() {
    f.start(SchedulingPolicy.staticBatching(3, DELAY), 2, nodeA);
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      jobs.add(f.submit("acme", 2, INTERACTIVE));
    }
    f.encodedAll();
    assertThat(steps(f.tick())).isEmpty(); // only two of acme's may run: not a full group
    f.clock.advance(DELAY);
    assertThat(steps(f.tick())).containsExactly(jobs.subList(0, 2));
  }

  // Every policy

  static Stream<SchedulingPolicy> policies() {
    return Stream.of(
        SchedulingPolicy.continuous(),
        SchedulingPolicy.fcfs(),
        SchedulingPolicy.staticBatching(3, DELAY));
  }

  /**
   * Text encoding, previews, decoding, a failed step, a node losing its DiT mid-run and a cancel,
   * under each policy: every job ends as it should, with its events.
   */
  @ParameterizedTest
  @MethodSource("policies")
  void everyPolicyEncodesPreviewsFailsOverEvictsCancelsAndCompletes(SchedulingPolicy policy) {
    f.start(policy, 8, nodeA, nodeB);
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      jobs.add(f.submit(i % 2 == 0 ? "acme" : "globex", 4, i == 5 ? BATCH : INTERACTIVE, 2));
    }
    Job cancelled = jobs.get(5);
    boolean failedOnce = false;
    boolean evicted = false;
    for (int tick = 0; tick < 200 && !jobs.stream().allMatch(j -> j.phase().isTerminal()); tick++) {
      if (!failedOnce && jobs.stream().anyMatch(j -> j.step() >= 1)) {
        f.tick(batch -> batch.node() == nodeA || batch.node() == nodeB);
        failedOnce = true;
        continue;
      }
      if (!evicted && jobs.stream().anyMatch(j -> j.step() >= 2)) {
        TestNodes.setModels(nodeA, "text_encoder", "vae");
        evicted = true;
      }
      if (jobs.stream().anyMatch(j -> j.step() >= 1) && !cancelled.cancelRequested()) {
        f.parts.endings().cancel(cancelled, "no longer needed");
      }
      f.clock.advance(Duration.ofMillis(50)); // static batching's delay runs out in time
      f.tick();
    }
    assertThat(failedOnce && evicted).isTrue();
    assertThat(cancelled.phase()).isEqualTo(JobPhase.CANCELLED);
    for (Job job : jobs.subList(0, 5)) {
      assertThat(job.phase()).as("%s under %s", job.id(), policy).isEqualTo(JobPhase.SUCCEEDED);
      List<JobEvent> events = job.events().after(0, Integer.MAX_VALUE);
      assertThat(events).anyMatch(JobEvent::hasStarted);
      assertThat(events)
          .anyMatch(e -> e.hasProgress() && !e.getProgress().getPreviewPng().isEmpty());
      assertThat(events.get(events.size() - 1).hasCompleted()).isTrue();
    }
    assertThat(f.lines.activeNodes()).allMatch(node -> f.lines.activeOn(node).isEmpty());
    assertThat(f.lines.readyCount()).isZero();
    assertThat(jobs).noneMatch(f.lines::inFlight);
    assertThat(f.lines.notStarted()).isZero();
  }

  // The policy values

  @Test
  void policiesDescribeThemselvesAndRejectBadValues() {
    assertThat(EngineConfig.defaults().policy()).isEqualTo(SchedulingPolicy.continuous());
    assertThat(SchedulingPolicy.staticBatching(8, Duration.ofMillis(200)).describe())
        .isEqualTo("static (batch 8, delay 200 ms)");
    assertThat(SchedulingPolicy.fcfs().name()).isEqualTo("fcfs");
    assertThat(EngineConfig.builder().policy(SchedulingPolicy.fcfs()).build().policy())
        .isEqualTo(SchedulingPolicy.fcfs());
    assertThatThrownBy(() -> SchedulingPolicy.staticBatching(0, DELAY))
        .hasMessageContaining("at least 1");
    assertThatThrownBy(() -> SchedulingPolicy.staticBatching(4, Duration.ofMillis(-1)))
        .hasMessageContaining("negative");
  }

  @Test
  void staticBatchingOverAFairQueueIsAWiringError() {
    f.start(SchedulingPolicy.continuous(), 8, nodeA);
    assertThatThrownBy(
            () ->
                EngineParts.wire(
                    EngineConfig.builder()
                        .policy(SchedulingPolicy.staticBatching(2, DELAY))
                        .build(),
                    new dev.framecast.scheduler.node.NodePool(
                        List.of(nodeA), java.util.Set.of("dit"), Duration.ofSeconds(1)),
                    new dev.framecast.scheduler.queue.FairQueue(t -> 1.0),
                    t -> 8,
                    UsageSink.NONE,
                    null,
                    TestParts.discardingStore(),
                    Runnable::run,
                    c -> {},
                    f.clock,
                    Journal.NONE))
        .hasMessageContaining("ArrivalQueue");
  }
}
