package dev.framecast.scheduler.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The batch-size rule on the step latencies measured on an H100 (shared/data). */
class BatchSizerTest {
  private static final BatchSizer SIZER = new BatchSizer(0.95, 1.0);

  /** A profile by jobs: guidance runs 2 samples per job, so b jobs cost latency(2b). */
  private static StepProfile h100(String config) throws IOException {
    Map<Integer, Double> bySamples = new HashMap<>();
    for (String line :
        Files.readAllLines(Path.of("src/test/resources/h100-dit-step-latency.csv"))) {
      if (line.startsWith("#") || line.startsWith("config")) {
        continue;
      }
      String[] f = line.split(",");
      if (f[0].equals(config)) {
        bySamples.put(Integer.parseInt(f[7]), Double.parseDouble(f[8]) / 1000);
      }
    }
    Map<Integer, Double> byJobs = new HashMap<>();
    bySamples.forEach(
        (samples, seconds) -> {
          if (samples % 2 == 0) {
            byJobs.put(samples / 2, seconds);
          }
        });
    return new StepProfile(byJobs);
  }

  @Test
  void aSmallDitBatchesAsMuchAsItCan() throws IOException {
    assertThat(SIZER.choose(h100("xs-64px-16f"), 16)).isEqualTo(16);
  }

  @Test
  void aMidSizeDitStopsWhereThroughputFlattens() throws IOException {
    StepProfile profile = h100("s-256px-16f");
    int chosen = SIZER.choose(profile, 16);
    double best = 0;
    for (int b = 1; b <= 16; b++) {
      best = Math.max(best, b / profile.latency(b));
    }
    assertThat(chosen / profile.latency(chosen)).isGreaterThanOrEqualTo(0.95 * best);
    assertThat((chosen - 1) / profile.latency(chosen - 1)).isLessThan(0.95 * best);
    assertThat(chosen).isBetween(4, 12);
  }

  @Test
  void aLargeDitGainsNothingAndTheLatencyTargetCapsIt() throws IOException {
    assertThat(SIZER.choose(h100("xl-256px-16f"), 16)).isLessThanOrEqualTo(2);
    assertThat(SIZER.choose(h100("b2-480p-49f"), 4)).isEqualTo(1);
  }

  @Test
  void withoutDataItExploresFullBatchesAndLearnsOnline() {
    StepProfile profile = new StepProfile();
    assertThat(SIZER.choose(profile, 8)).isEqualTo(8);
    for (int i = 0; i < 20; i++) {
      profile.observe(8, 0.8);
      profile.observe(1, 0.1);
    }
    // Linear on CPU: batching buys nothing, so one job per step.
    assertThat(SIZER.choose(profile, 8)).isEqualTo(1);
  }
}
