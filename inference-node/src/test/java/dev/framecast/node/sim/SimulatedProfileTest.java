package dev.framecast.node.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The profile format, its interpolation rules, its errors and the time scale. */
class SimulatedProfileTest {
  private static final String PROFILE =
      """
      # H100, reference models
      model,batch,latency_ms

      dit,1,4.56
      dit,2,4.64
      dit,16,4.13
      text_encoder,1,0.40
      vae,1,1.00
      vae,8,3.00
      """;

  private static SimulatedProfile profile(double timeScale) {
    return SimulatedProfile.parse("h100.csv", PROFILE, timeScale);
  }

  private static double millis(Duration d) {
    return d.toNanos() / 1e6;
  }

  @Test
  void listedPointsAreExact() {
    SimulatedProfile profile = profile(1);
    assertThat(profile.models()).containsExactlyInAnyOrder("dit", "text_encoder", "vae");
    assertThat(profile.latency("dit", 1)).isEqualTo(Duration.ofNanos(4_560_000));
    assertThat(profile.latency("dit", 2)).isEqualTo(Duration.ofNanos(4_640_000));
    assertThat(profile.latency("dit", 16)).isEqualTo(Duration.ofNanos(4_130_000));
    assertThat(profile.latency("text_encoder", 1)).isEqualTo(Duration.ofNanos(400_000));
  }

  @Test
  void betweenPointsIsLinear() {
    SimulatedProfile profile = profile(1);
    // vae: 1.00 at 1, 3.00 at 8 -> 1 + 2 * (rows - 1) / 7.
    assertThat(millis(profile.latency("vae", 4))).isCloseTo(1 + 2 * 3 / 7.0, within());
    // dit: 4.64 at 2, 4.13 at 16 (latency can fall with batch in a measured profile).
    assertThat(millis(profile.latency("dit", 9))).isCloseTo(4.64 - 0.51 * 7 / 14, within());
  }

  @Test
  void belowTheSmallestPointIsThatPoint() {
    SimulatedProfile profile = SimulatedProfile.parse("p.csv", "dit,4,10\ndit,8,12\n", 1);
    assertThat(profile.latency("dit", 1)).isEqualTo(Duration.ofMillis(10));
    assertThat(profile.latency("dit", 3)).isEqualTo(Duration.ofMillis(10));
  }

  @Test
  void aboveTheLargestPointGrowsProportionally() {
    SimulatedProfile profile = profile(1);
    assertThat(millis(profile.latency("vae", 16))).isCloseTo(3.00 * 16 / 8, within());
    assertThat(millis(profile.latency("dit", 32))).isCloseTo(4.13 * 2, within());
    // One point only: constant below, proportional above.
    assertThat(millis(profile.latency("text_encoder", 5))).isCloseTo(2.0, within());
  }

  @Test
  void timeScaleMultipliesEveryLatency() {
    SimulatedProfile slow = profile(10);
    assertThat(slow.timeScale()).isEqualTo(10);
    assertThat(millis(slow.latency("dit", 1))).isCloseTo(45.6, within());
    assertThat(millis(slow.latency("vae", 16))).isCloseTo(60.0, within());
    assertThat(millis(profile(0.5).latency("vae", 1))).isCloseTo(0.5, within());
    assertThat(millis(profile(SimulatedProfile.MIN_TIME_SCALE).latency("vae", 1)))
        .isCloseTo(0.001, within());
    for (double bad : new double[] {0, 0.0009, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> profile(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("time scale must be a finite number >= 0.001");
    }
  }

  @Test
  void headerIsOptionalAndWhitespaceIsTrimmed() {
    SimulatedProfile profile =
        SimulatedProfile.parse("p.csv", "\uFEFF  dit , 2 , 5.5 \r\n# note\r\ndit,4,7\r\n", 1);
    assertThat(millis(profile.latency("dit", 3))).isCloseTo(6.25, within());
  }

  @Test
  void unknownModelAndBadRowsAreRefused() {
    SimulatedProfile profile = profile(1);
    assertThatThrownBy(() -> profile.latency("upscaler", 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("profile h100.csv has no points for model 'upscaler'");
    assertThatThrownBy(() -> profile.latency("dit", 0)).hasMessageContaining("rows must be >= 1");
  }

  @Test
  void badLinesNameTheFileTheLineAndWhatWasExpected() {
    assertBad("dit,1,4\ndit,0,4\n", "p.csv:2: batch must be an integer >= 1, got 0");
    assertBad("dit,1.5,4\n", "p.csv:1: batch must be an integer >= 1, got '1.5'");
    assertBad("# c\n\ndit,1,0\n", "p.csv:3: latency_ms must be a finite number > 0, got 0");
    assertBad("dit,1,-2\n", "p.csv:1: latency_ms must be a finite number > 0, got -2");
    assertBad("dit,1,NaN\n", "p.csv:1: latency_ms must be a finite number > 0, got NaN");
    assertBad("dit,1,Infinity\n", "p.csv:1: latency_ms must be a finite number > 0");
    assertBad("dit,1,fast\n", "p.csv:1: latency_ms must be a finite number > 0, got 'fast'");
    assertBad("dit,1\n", "p.csv:1: expected model,batch,latency_ms (3 fields), got 2");
    assertBad("dit,1,2,3\n", "p.csv:1: expected model,batch,latency_ms (3 fields), got 4");
    assertBad(",1,2\n", "p.csv:1: expected a model name in the first field");
    assertBad(
        "dit,1,2\nvae,1,2\ndit,1,3\n",
        "p.csv:3: duplicate point for model 'dit' batch 1 (first at line 1)");
    // The header is accepted only as the first line that is not a comment.
    assertBad("dit,1,2\nmodel,batch,latency_ms\n", "p.csv:2: batch must be an integer >= 1");
    assertBad("# nothing\n\n", "p.csv: the profile has no points");
    assertBad("model,batch,latency_ms\n", "p.csv: the profile has no points");
  }

  @Test
  void aFileIsNamedByItsPath(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("fleet.csv");
    Files.writeString(file, "model,batch,latency_ms\ndit,1,2\ndit,x,3\n");
    assertThatThrownBy(() -> SimulatedProfile.load(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(file + ":3: batch must be an integer >= 1, got 'x'")
        .hasMessageEndingWith("in line 'dit,x,3'");
    Files.writeString(file, "dit,1,2\n");
    SimulatedProfile profile = SimulatedProfile.load(file, 3);
    assertThat(profile.source()).isEqualTo(file.toString());
    assertThat(profile.latency("dit", 1)).isEqualTo(Duration.ofMillis(6));
  }

  private static void assertBad(String text, String message) {
    assertThatThrownBy(() -> SimulatedProfile.parse("p.csv", text, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message);
  }

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(1e-6);
  }
}
