package dev.framecast.gateway.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The clip directory an embedded gateway without a data directory makes goes with it. */
class TemporaryClipsTest {
  @TempDir Path dir;

  @Test
  void removesTheDirectoryWithItsClips() throws Exception {
    Path clips = Files.createDirectories(dir.resolve("framecast-clips1/job-1"));
    Files.writeString(clips.resolve("clip.mp4"), "frames");
    Files.writeString(dir.resolve("framecast-clips1/preview.png"), "preview");

    BackendProducer.deleteTree(dir.resolve("framecast-clips1"));

    assertThat(dir.resolve("framecast-clips1")).doesNotExist();
    assertThat(dir).exists();
  }

  @Test
  void aDirectoryAlreadyGoneIsNotAnError() {
    BackendProducer.deleteTree(dir.resolve("never-made"));

    assertThat(dir.resolve("never-made")).doesNotExist();
  }
}
