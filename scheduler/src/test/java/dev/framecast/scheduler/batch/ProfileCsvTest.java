package dev.framecast.scheduler.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProfileCsvTest {
  @TempDir Path dir;

  @Test
  void readsBatchAndMillisecondsIntoSeconds() throws Exception {
    Path file = dir.resolve("p.csv");
    Files.writeString(file, "# measured\nbatch,latency_ms\n1,20\n2,37\n");
    assertThat(ProfileCsv.load(file)).containsEntry(1, 0.020).containsEntry(2, 0.037);
    StepProfile profile = new StepProfile(ProfileCsv.load(file));
    assertThat(new BatchSizer(0.95, 1.0).choose(profile, 2)).isEqualTo(2);
  }

  @Test
  void badLinesAreReportedWithTheirNumber() throws Exception {
    Path file = dir.resolve("bad.csv");
    Files.writeString(file, "1,20\n0,5\n");
    assertThatThrownBy(() -> ProfileCsv.load(file)).hasMessageContaining("bad.csv:2");
  }
}
