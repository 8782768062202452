package dev.framecast.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole tool for a few seconds: a 2-node simulated fleet, the real gateway (a child process,
 * embedded scheduler) with each policy, real tokens and gRPC streams, and the report. Needs
 * gateway/target/quarkus-app, which the reactor builds first; skipped without it on a developer's
 * machine, a failure in CI (FRAMECAST_CI set).
 */
class LoadtestSmokeTest {
  static final Path ROOT =
      Path.of(System.getProperty("framecast.root", "..")).toAbsolutePath().normalize();
  static final Path JAR = ROOT.resolve("gateway/target/quarkus-app/quarkus-run.jar");

  @TempDir Path out;

  @BeforeAll
  static void needsTheGateway() {
    if (System.getenv("FRAMECAST_CI") == null) {
      assumeTrue(Files.isRegularFile(JAR), JAR + " is not built (./mvnw -pl gateway -am install)");
    } else {
      assertThat(JAR).as("the gateway must be built before loadtest in CI").isRegularFile();
    }
  }

  @Test
  void everyPolicyServesEveryJobAndTheBaselinesBatchAsTheySay() throws Exception {
    Scenario smoke =
        Scenarios.all(ROOT.resolve("loadtest/profiles"))
            .get("smoke")
            .withDuration(Duration.ofSeconds(6));
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Runner runner = new Runner(ROOT, JAR, new PrintStream(log, true, StandardCharsets.UTF_8), 1);
    List<Stats> stats = new ArrayList<>();
    for (Policy policy : smoke.policies()) {
      Run run = runner.run(smoke, smoke.variants().get(0), policy, out.resolve(policy.setting()));
      stats.add(new Stats(run));
    }
    new Report(smoke, Capacity.of(ROOT.resolve("loadtest/profiles/xs.csv")), stats, "test")
        .write(out);

    for (Stats s : stats) {
      String what = s.run.policy() + "\n" + log;
      assertThat(s.run.jobs()).as(what).hasSizeGreaterThan(5);
      // Drained: every job sent ends, and ends well.
      assertThat(s.run.jobs()).as(what).allMatch(j -> j.outcome() == JobRecord.Outcome.SUCCEEDED);
      assertThat(s.run.jobs())
          .as(what)
          .allMatch(j -> j.firstEventNanos >= 0 && j.stepsSeen == j.steps);
      assertThat(s.run.jobs())
          .as("previews every 2 steps: " + what)
          .allMatch(j -> j.firstPreviewNanos > 0);
      assertThat(s.jobStepsPerSecond).as(what).isPositive();
      assertThat(s.busy).as(what).isBetween(0.0, 1.0);
      assertThat(s.tenants.values().stream().mapToDouble(Stats.Tenant::gpuShare).sum())
          .as(what)
          .isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-6));
    }
    // Baseline (a) never batches; (b) never exceeds its batch; the scheduler's loop CPU is
    // exported.
    assertThat(stats.get(1).meanBatch).isEqualTo(1.0);
    assertThat(stats.get(2).meanBatch).isBetween(1.0, (double) smoke.staticBatch());
    assertThat(stats.get(0).loopCpuPerJobStep).isPositive();
    assertThat(out.resolve("report.md")).content().contains("| c |", "| a |", "| b |");
    assertThat(out.resolve("completion-cdf.png")).isNotEmptyFile();
  }
}
