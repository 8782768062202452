package dev.framecast.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProbeCommandTest {
  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final Terminal terminal =
      new Terminal(
          new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8),
          false);

  private int probe(String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "probe";
    System.arraycopy(args, 0, all, 1, args.length);
    return FramecastCli.run(all, terminal, Map.of());
  }

  @Test
  void countsTheFramesThatDecode() throws Exception {
    Path clip =
        Files.write(
            dir.resolve("clip.mp4"), SyntheticClips.mp4(SyntheticClips.redCircleMovingRight()));
    assertThat(probe(clip.toString(), "--frames", "16")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("h264, 16 frames, 64x64");
    assertThat(probe(clip.toString(), "--frames", "15")).isEqualTo(CliException.JOB_FAILED);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("16 frames decode, not 15");
  }

  @Test
  void refusesWhatIsNotAClip() throws Exception {
    Path text = Files.writeString(dir.resolve("notes.mp4"), "not a video");
    assertThat(probe(text.toString())).isEqualTo(CliException.JOB_FAILED);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("does not decode");
    assertThat(probe(dir.resolve("missing.mp4").toString())).isEqualTo(CliException.JOB_FAILED);
    assertThat(probe()).isEqualTo(CliException.USAGE);
    assertThat(probe("a.mp4", "--frames", "x")).isEqualTo(CliException.USAGE);
    assertThat(probe("--help")).isZero();
  }
}
