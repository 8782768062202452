package dev.framecast.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command, end to end on the real models (a few steps to stay quick). */
class DemoTest {
  @TempDir Path dir;

  @Test
  void demoWritesAPlayableClipAndAContactSheet() throws Exception {
    Path repository = Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
    Demo.Options options =
        Demo.parse(
            new String[] {
              "a red circle moving right",
              "--out",
              dir.resolve("clip.mp4").toString(),
              "--steps",
              "3",
              "--seed",
              "7",
              "--model-repository",
              repository.toString()
            });
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Demo.Result result = Demo.run(options, new PrintStream(console, true, StandardCharsets.UTF_8));

    byte[] clip = Files.readAllBytes(result.clip());
    assertThat(new String(clip, 4, 4, StandardCharsets.ISO_8859_1)).isEqualTo("ftyp");
    assertThat(result.completed().getSeed()).isEqualTo(7);
    var sheet = ImageIO.read(result.sheet().toFile());
    assertThat(sheet.getWidth()).isGreaterThan(64 * 4);
    assertThat(console.toString(StandardCharsets.UTF_8)).contains("step 3/3", "seed 7");
  }

  @Test
  void optionsAreCheckedWithClearMessages() {
    assertThatThrownBy(() -> Demo.parse(new String[0]))
        .hasMessageContaining("a prompt is required");
    assertThatThrownBy(() -> Demo.parse(new String[] {"x", "--steps", "0"}))
        .hasMessageContaining("positive integer");
    assertThatThrownBy(() -> Demo.parse(new String[] {"x", "--guidance", "NaN"}))
        .hasMessageContaining("a number");
    assertThatThrownBy(() -> Demo.parse(new String[] {"x", "y"}))
        .hasMessageContaining("one prompt only");
    assertThat(Demo.parse(new String[] {"--help"})).isNull();
    assertThat(Demo.parse(new String[] {"x", "--out", "a/b.mp4"}).sheet())
        .isEqualTo(Path.of("a/b.png"));
  }
}
