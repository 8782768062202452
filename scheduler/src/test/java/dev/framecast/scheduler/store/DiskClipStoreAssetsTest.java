package dev.framecast.scheduler.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.scheduler.engine.ClipStore.Asset;
import dev.framecast.scheduler.engine.ClipStore.Blob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A job's clip and images: read in ranges, tagged, and deleted with everything of the job. */
class DiskClipStoreAssetsTest {
  @TempDir Path dir;

  @Test
  void assetsAreReadInRangesAndDeletedWithTheJob() throws Exception {
    DiskClipStore store = new DiskClipStore(dir, Duration.ofHours(24), Clock.systemUTC());
    byte[] clip = new byte[300_000];
    for (int i = 0; i < clip.length; i++) {
      clip[i] = (byte) (i * 7);
    }
    store.put("acme", "job-1", clip);
    store.putAsset("acme", "job-1", Asset.THUMBNAIL, new byte[] {1, 2, 3});
    store.putAsset("acme", "job-1", Asset.SPRITESHEET, new byte[] {4, 5});
    store.putFrames("acme", "job-1", java.util.List.of(new byte[] {9}));
    assertThat(store.retention()).contains(Duration.ofHours(24));

    Blob video = store.open("acme", "job-1", Asset.VIDEO).orElseThrow();
    assertThat(video.size()).isEqualTo(clip.length);
    assertThat(video.etag()).matches("\"[0-9a-f]+-[0-9a-f]+\"");
    assertThat(store.open("acme", "job-1", Asset.VIDEO).orElseThrow().etag())
        .isEqualTo(video.etag());
    try (var in = video.open(1000, 70_000)) {
      assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(clip, 1000, 71_000));
    }
    try (var in = video.open(clip.length - 5, 5)) {
      assertThat(in.readAllBytes())
          .isEqualTo(java.util.Arrays.copyOfRange(clip, clip.length - 5, clip.length));
    }
    try (var in = store.open("acme", "job-1", Asset.THUMBNAIL).orElseThrow().open(0, 3)) {
      assertThat(in.readAllBytes()).containsExactly(1, 2, 3);
    }
    assertThat(store.open("globex", "job-1", Asset.VIDEO)).as("per tenant").isEmpty();
    assertThat(store.open("acme", "job-2", Asset.SPRITESHEET)).isEmpty();

    // A replaced asset gets a new tag.
    Thread.sleep(5);
    store.putAsset("acme", "job-1", Asset.SPRITESHEET, new byte[] {4, 5, 6});
    assertThat(store.open("acme", "job-1", Asset.SPRITESHEET).orElseThrow().size()).isEqualTo(3);

    store.delete("acme", "job-1");
    for (Asset asset : Asset.values()) {
      assertThat(store.open("acme", "job-1", asset)).isEmpty();
    }
    try (var files = Files.list(dir.resolve("acme"))) {
      assertThat(files).isEmpty();
    }
    store.delete("acme", "job-1"); // twice is fine
  }

  @Test
  void variantsNameAssets() {
    assertThat(Asset.ofVariant("")).contains(Asset.VIDEO);
    assertThat(Asset.ofVariant("video")).contains(Asset.VIDEO);
    assertThat(Asset.ofVariant("thumbnail")).contains(Asset.THUMBNAIL);
    assertThat(Asset.ofVariant("spritesheet")).contains(Asset.SPRITESHEET);
    assertThat(Asset.ofVariant("VIDEO")).isEmpty();
    assertThat(Asset.SPRITESHEET.contentType()).isEqualTo("image/png");
  }
}
