package dev.framecast.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.framecast.scheduler.tenant.TenantConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkloadTest {
  static final Path PROFILES =
      Path.of(System.getProperty("framecast.root", "..")).resolve("loadtest/profiles");

  @Test
  void poissonArrivalsHaveEachTenantsRateInWallTimeAndRepeatWithTheSeed() {
    List<TenantLoad> tenants =
        List.of(new TenantLoad("acme", 1, 200), new TenantLoad("globex", 2, 50));
    long duration = 100_000_000_000L; // 100 s of wall time at time scale 2: 100/s and 25/s
    List<Arrival> arrivals = Arrival.poisson(tenants, StepMix.half(8, 50), 2, duration, 7);

    long acme = arrivals.stream().filter(a -> a.tenant().equals("acme")).count();
    long globex = arrivals.stream().filter(a -> a.tenant().equals("globex")).count();
    // Poisson counts: mean 10,000 (sd 100) and 2,500 (sd 50); 4 sd either way.
    assertThat(acme).isBetween(9_600L, 10_400L);
    assertThat(globex).isBetween(2_300L, 2_700L);
    assertThat(arrivals).isSortedAccordingTo(java.util.Comparator.comparingLong(Arrival::atNanos));
    assertThat(arrivals).allMatch(a -> a.atNanos() >= 0 && a.atNanos() < duration);
    double shortShare =
        arrivals.stream().filter(a -> a.steps() == 8).count() / (double) arrivals.size();
    assertThat(shortShare).isCloseTo(0.5, within(0.03));

    assertThat(Arrival.poisson(tenants, StepMix.half(8, 50), 2, duration, 7)).isEqualTo(arrivals);
    assertThat(Arrival.poisson(tenants, StepMix.half(8, 50), 2, duration, 8))
        .isNotEqualTo(arrivals);
  }

  @Test
  void interArrivalTimesAreExponential() {
    List<Arrival> arrivals =
        Arrival.poisson(
            List.of(new TenantLoad("acme", 1, 100)), StepMix.of(24), 1, 200_000_000_000L, 3);
    double[] gaps = new double[arrivals.size() - 1];
    for (int i = 1; i < arrivals.size(); i++) {
      gaps[i - 1] = (arrivals.get(i).atNanos() - arrivals.get(i - 1).atNanos()) / 1e9;
    }
    double mean = java.util.Arrays.stream(gaps).average().orElseThrow();
    double variance =
        java.util.Arrays.stream(gaps).map(g -> (g - mean) * (g - mean)).average().orElseThrow();
    assertThat(mean).isCloseTo(0.01, within(0.0005));
    // An exponential's coefficient of variation is 1 (a fixed-rate generator's would be 0).
    assertThat(Math.sqrt(variance) / mean).isCloseTo(1.0, within(0.05));
  }

  @Test
  void capacityOfTheProfilesIsTheBestBatchThroughput() {
    Capacity xs = Capacity.of(PROFILES.resolve("xs.csv"));
    // 16 jobs (32 samples) in 4.13 ms.
    assertThat(xs.bestBatch()).isEqualTo(16);
    assertThat(xs.bestJobStepsPerSecond()).isCloseTo(16 / 0.00413, within(1.0));
    assertThat(xs.singleJobStepsPerSecond()).isCloseTo(1 / 0.00456, within(0.1));
    Capacity xl = Capacity.of(PROFILES.resolve("xl.csv"));
    assertThat(xl.bestJobStepsPerSecond()).isCloseTo(16 / 0.56631, within(0.01));
    assertThat(xl.bestJobStepsPerSecond() / xl.singleJobStepsPerSecond()).isBetween(1.0, 1.1);
  }

  @Test
  void scenariosDeriveTheirLoadsFromTheProfile() {
    Map<String, Scenario> all = Scenarios.all(PROFILES);
    assertThat(all.keySet())
        .containsExactly(
            "saturation", "mixed", "flood", "control-plane", "node-loss", "end-to-end", "smoke");
    Capacity xs = Capacity.of(PROFILES.resolve("xs.csv"));
    Scenario saturation = all.get("saturation");
    double offered =
        saturation.variants().get(0).tenants().stream()
            .mapToDouble(TenantLoad::jobsPerSecond)
            .sum();
    assertThat(offered * 24).isCloseTo(1.2 * 8 * xs.bestJobStepsPerSecond(), within(1.0));
    Scenario flood = all.get("flood");
    TenantLoad quiet = flood.variants().get(0).tenants().get(1);
    TenantLoad loud = flood.variants().get(1).tenants().get(1);
    assertThat(loud.tenant()).isEqualTo("globex");
    assertThat(loud.jobsPerSecond() / quiet.jobsPerSecond()).isCloseTo(10 / 0.9, within(1e-9));
    assertThat(all.get("mixed").steps().meanSteps()).isEqualTo(29.0);
  }

  @Test
  void maxMinSharesGiveModestTenantsTheirDemandAndSplitTheRestByWeight() {
    // Fleet of 100 jobs/s. acme wants 10 (below its 25), initech 45 (below its 50), globex 250.
    Map<String, Double> shares =
        Check.maxMinShares(
            List.of(
                new TenantLoad("acme", 1, 10),
                new TenantLoad("globex", 1, 250),
                new TenantLoad("initech", 2, 45)),
            100);
    assertThat(shares.get("acme")).isCloseTo(0.10, within(1e-9));
    assertThat(shares.get("initech")).isCloseTo(0.45, within(1e-9));
    assertThat(shares.get("globex")).isCloseTo(0.45, within(1e-9));
    // Everybody backlogged: the weights.
    Map<String, Double> backlogged =
        Check.maxMinShares(
            List.of(
                new TenantLoad("acme", 1, 500),
                new TenantLoad("globex", 1, 500),
                new TenantLoad("initech", 2, 500)),
            100);
    assertThat(backlogged.get("acme")).isCloseTo(0.25, within(1e-9));
    assertThat(backlogged.get("initech")).isCloseTo(0.5, within(1e-9));
  }

  @Test
  void generatedTenantsFileIsOneTheSchedulerAccepts() {
    String yaml =
        Runner.tenantsYaml(List.of(new TenantLoad("acme", 1, 5), new TenantLoad("initech", 2, 5)));
    TenantConfig config = TenantConfig.parse(yaml);
    assertThat(config.policy("initech").orElseThrow().weight()).isEqualTo(2.0);
    assertThat(config.policy("acme").orElseThrow().maxQueuedJobs()).isEqualTo(1_000_000);
    assertThat(config.policy("globex")).isEmpty();
  }

  @Test
  void policiesParseByLetterOrName() {
    assertThat(Policy.parse("c")).isEqualTo(Policy.CONTINUOUS);
    assertThat(Policy.parse("FCFS")).isEqualTo(Policy.FCFS);
    assertThat(Policy.parse("b")).isEqualTo(Policy.STATIC);
    assertThatThrownBy(() -> Policy.parse("d")).hasMessageContaining("unknown policy 'd'");
  }
}
