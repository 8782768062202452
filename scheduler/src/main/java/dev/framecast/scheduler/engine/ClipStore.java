package dev.framecast.scheduler.engine;

import dev.framecast.scheduler.job.LatentCheckpoint;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** Where finished clips are kept for their tenant. Called on worker threads. */
public interface ClipStore {
  void put(String tenant, String jobId, byte[] clip) throws IOException;

  Optional<byte[]> get(String tenant, String jobId) throws IOException;

  /** Keeps a finished job's frame PNGs beside its clip (for a replay from the job store). */
  default void putFrames(String tenant, String jobId, List<byte[]> pngs) throws IOException {}

  /** The frame PNGs kept for the job, in order. */
  default Optional<List<byte[]>> frames(String tenant, String jobId) throws IOException {
    return Optional.empty();
  }

  /** Keeps a running job's latest latent checkpoint (replacing the one before). */
  default void putCheckpoint(String tenant, String jobId, LatentCheckpoint checkpoint)
      throws IOException {}

  /** The job's latest checkpoint; empty when there is none (or a damaged one). */
  default Optional<LatentCheckpoint> checkpoint(String tenant, String jobId) throws IOException {
    return Optional.empty();
  }

  /** Forgets the job's checkpoint (it ended). */
  default void deleteCheckpoint(String tenant, String jobId) throws IOException {}
}
