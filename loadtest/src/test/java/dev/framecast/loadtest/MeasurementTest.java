package dev.framecast.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MeasurementTest {
  @Test
  void promTextSumsAndGroupsSamples() {
    PromText text =
        PromText.parse(
            """
            # HELP framecast_scheduler_gpu_seconds_total GPU-seconds
            # TYPE framecast_scheduler_gpu_seconds_total counter
            framecast_scheduler_gpu_seconds_total{tenant="acme"} 1.5
            framecast_scheduler_gpu_seconds_total{tenant="globex"} 2.5e0
            framecast_scheduler_queue_depth{tenant="a,b \\"x\\"",other="y"} 3
            framecast_scheduler_batch_size_sum 120.0
            framecast_scheduler_batch_size_count 10 1700000000000
            """);
    assertThat(text.byLabel("framecast_scheduler_gpu_seconds_total", "tenant"))
        .containsExactlyInAnyOrderEntriesOf(Map.of("acme", 1.5, "globex", 2.5));
    assertThat(text.byLabel("framecast_scheduler_queue_depth", "tenant"))
        .containsEntry("a,b \"x\"", 3.0);
    assertThat(text.sum("framecast_scheduler_batch_size_sum")).isEqualTo(120.0);
    assertThat(text.sum("framecast_scheduler_batch_size_count")).isEqualTo(10.0);
    assertThat(text.has("framecast_scheduler_loop_cpu_seconds_total")).isFalse();
  }

  static Sample sample(double seconds, double queued, double jobSteps, long busyNanos, int up) {
    return new Sample(
        (long) (seconds * 1e9),
        Map.of("acme", jobSteps / 100, "globex", jobSteps / 300),
        Map.of("acme", queued),
        0,
        jobSteps,
        jobSteps / 4,
        jobSteps * 1e-5,
        busyNanos,
        up,
        jobSteps * 1e-4,
        (long) jobSteps);
  }

  @Test
  void busyFractionCountsOnlyIntervalsInsideTheWindowAndOptionallyOnlyWhileQueued() {
    List<Sample> samples =
        List.of(
            sample(0, 0, 0, 0, 2),
            sample(1, 5, 100, 2_000_000_000L, 2), // 1 s, 2 nodes fully busy
            sample(2, 5, 200, 3_000_000_000L, 2), // half busy, queued at both ends
            sample(3, 0, 300, 4_000_000_000L, 2)); // half busy, queue empty at the end
    assertThat(Stats.busyFraction(samples, 0, 3_000_000_000L, false))
        .isCloseTo(4.0 / 6, within(1e-9));
    assertThat(Stats.busyFraction(samples, 0, 3_000_000_000L, true)).isCloseTo(0.5, within(1e-9));
    assertThat(Stats.busyFraction(samples, 0, 1_000_000_000L, false)).isCloseTo(1.0, within(1e-9));
  }

  @Test
  void samplesInterpolateBetweenNeighbours() {
    List<Sample> samples = List.of(sample(0, 0, 0, 0, 1), sample(2, 0, 200, 2_000_000_000L, 1));
    Sample mid = Stats.at(samples, 500_000_000L);
    assertThat(mid.batchSum()).isCloseTo(50, within(1e-9));
    assertThat(mid.fleetBusyNanos()).isEqualTo(500_000_000L);
    assertThat(Stats.at(samples, 5_000_000_000L).batchSum()).isEqualTo(200);
  }

  /** A hand-made run: two tenants, one unfinished job, time scale 10. */
  static Run run() {
    Scenario scenario =
        Scenario.builder("test", "a test")
            .nodes(2)
            .timeScale(10)
            .variants(
                List.of(
                    new Scenario.Variant(
                        "", List.of(new TenantLoad("acme", 1, 1), new TenantLoad("globex", 1, 1)))))
            .steps(StepMix.of(24))
            .duration(Duration.ofSeconds(10))
            .warmup(Duration.ofSeconds(1))
            .policies(List.of(Policy.CONTINUOUS))
            .staticBatch(4)
            .staticDelay(Duration.ofMillis(10))
            .build();
    List<JobRecord> jobs = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      JobRecord job =
          new JobRecord(i % 2 == 0 ? "acme" : "globex", 24, 1_000_000_000L + i * 100_000_000L);
      job.firstEventNanos = job.intendedNanos + 2_000_000; // 2 ms
      job.endNanos = job.intendedNanos + (i + 1) * 1_000_000_000L; // 1 .. 10 s wall
      job.outcome = JobRecord.Outcome.SUCCEEDED;
      jobs.add(job);
    }
    JobRecord unfinished = new JobRecord("globex", 24, 2_000_000_000L);
    jobs.add(unfinished);
    JobRecord warmup = new JobRecord("acme", 24, 500_000_000L); // before the warm-up ends
    warmup.endNanos = 600_000_000L;
    warmup.outcome = JobRecord.Outcome.SUCCEEDED;
    jobs.add(warmup);
    List<Sample> samples =
        List.of(
            sample(0, 0, 0, 0, 2),
            sample(10, 0, 1000, 10_000_000_000L, 2),
            sample(22, 0, 1000, 10_000_000_000L, 2));
    return new Run(
        scenario,
        "",
        Policy.CONTINUOUS,
        jobs,
        samples,
        1_000_000_000L,
        10_000_000_000L,
        22_000_000_000L,
        -1,
        2);
  }

  @Test
  void statsScaleThroughputAndCompletionToProfileTimeAndCountUnfinishedJobsAsLowerBounds() {
    Stats stats = new Stats(run());
    // 900 job-steps in 9 s of wall time, 10x slower than the profile.
    assertThat(stats.jobStepsPerSecond).isCloseTo(1000, within(1e-6));
    assertThat(stats.meanBatch).isCloseTo(4, within(1e-9));
    // 10 finished in 1 .. 10 s wall (0.1 .. 1 s profile), one unfinished after 20 s wall (2 s).
    assertThat(stats.completion.count()).isEqualTo(11);
    assertThat(stats.completion.censored()).isEqualTo(1);
    assertThat(stats.completion.max()).isCloseTo(2000, within(2.0));
    assertThat(stats.completion.p50()).isCloseTo(600, within(1.0));
    // Time to first event is control plane: wall time, not divided by the scale.
    assertThat(stats.firstEvent.p99()).isCloseTo(2.0, within(0.01));
    assertThat(stats.tenants.get("acme").sent()).isEqualTo(5);
    assertThat(stats.tenants.get("globex").incomplete()).isEqualTo(1);
    assertThat(stats.tenants.get("acme").gpuShare()).isCloseTo(0.75, within(1e-9));
    assertThat(Stats.completionSeconds(run(), "globex")).hasSize(6).endsWith(2.0);
  }

  @Test
  void reportWritesJsonMarkdownAndCharts(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    Capacity capacity = Capacity.of(WorkloadTest.PROFILES.resolve("xs.csv"));
    Run run = run();
    Report report =
        new Report(
            run.scenario(),
            capacity,
            List.of(new Stats(run)),
            "./framecast loadtest --scenario test");
    report.write(dir);
    assertThat(dir.resolve("results.json")).content().contains("\"jobStepsPerSecond\": 1000.0");
    assertThat(dir.resolve("report.md"))
        .content()
        .contains("# Load test: test", "| c | Framecast", "![", "completion-cdf.png");
    for (String png :
        List.of(
            "completion-cdf.png",
            "queue-depth.png",
            "batch-size.png",
            "throughput.png",
            "gpu-share-c.png")) {
      byte[] bytes = java.nio.file.Files.readAllBytes(dir.resolve(png));
      assertThat(bytes).as(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    }
  }
}
