package dev.framecast.scheduler.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.scheduler.job.LatentCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Latent checkpoints beside the clips: replaced whole, checked when read, deleted with the job. */
class DiskClipStoreCheckpointTest {
  @TempDir Path dir;

  private static byte[] latents(int length, int seed) {
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i++) {
      bytes[i] = (byte) (i * 31 + seed);
    }
    return bytes;
  }

  @Test
  void theLatestCheckpointIsReadBackWhole() throws Exception {
    DiskClipStore store = new DiskClipStore(dir, Duration.ofDays(7), Clock.systemUTC());
    assertThat(store.checkpoint("acme", "job-1")).isEmpty();
    store.putCheckpoint("acme", "job-1", new LatentCheckpoint(8, 1.5, 0x5eedL, latents(4096, 1)));
    store.putCheckpoint("acme", "job-1", new LatentCheckpoint(16, 3.25, -42L, latents(4096, 2)));
    assertThat(store.checkpoint("acme", "job-1"))
        .contains(new LatentCheckpoint(16, 3.25, -42L, latents(4096, 2)));
    assertThat(store.checkpoint("globex", "job-1")).as("per tenant").isEmpty();
    try (var files = Files.list(dir.resolve("acme"))) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("job-1.latents");
    }

    store.deleteCheckpoint("acme", "job-1");
    assertThat(store.checkpoint("acme", "job-1")).isEmpty();
    store.deleteCheckpoint("acme", "job-1"); // twice is fine
  }

  @Test
  void aDamagedCheckpointReadsAsNoneSoTheJobRunsFromItsFirstStep() throws Exception {
    DiskClipStore store = new DiskClipStore(dir, Duration.ofDays(7), Clock.systemUTC());
    store.putCheckpoint("acme", "job-2", new LatentCheckpoint(8, 1.0, 7L, latents(1024, 3)));
    Path file = dir.resolve("acme/job-2.latents");
    byte[] bytes = Files.readAllBytes(file);

    bytes[bytes.length - 1] ^= 1; // a flipped bit in the latents: the CRC says no
    Files.write(file, bytes);
    assertThat(store.checkpoint("acme", "job-2")).isEmpty();

    Files.write(file, java.util.Arrays.copyOf(bytes, 100)); // cut short
    assertThat(store.checkpoint("acme", "job-2")).isEmpty();

    Files.write(file, new byte[] {1, 2, 3}); // not a checkpoint at all
    assertThat(store.checkpoint("acme", "job-2")).isEmpty();
  }

  @Test
  void aCheckpointOfTheLayoutBeforeFingerprintsReadsAsNone() throws Exception {
    DiskClipStore store = new DiskClipStore(dir, Duration.ofDays(7), Clock.systemUTC());
    byte[] latents = latents(64, 4);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(latents);
    java.nio.ByteBuffer fck1 = java.nio.ByteBuffer.allocate(28 + latents.length);
    fck1.putInt(0x46434B31).putInt(8).putDouble(1.0).putInt(latents.length);
    fck1.putLong(crc.getValue()).put(latents);
    Files.createDirectories(dir.resolve("acme"));
    Files.write(dir.resolve("acme/job-3.latents"), fck1.array());
    assertThat(store.checkpoint("acme", "job-3"))
        .as("no pipeline fingerprint: nothing says which schedule made it")
        .isEmpty();
  }
}
