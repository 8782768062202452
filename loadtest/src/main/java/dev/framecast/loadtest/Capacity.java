package dev.framecast.loadtest;

import dev.framecast.node.sim.SimulatedProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * What a profile allows, in profile time: the best DiT throughput of one node (job-steps per
 * second, over batches of 1 .. the DiT's max batch) and the batch that reaches it. The yardstick of
 * the saturation scenario ("at least 90% of the profile's best possible throughput").
 */
public record Capacity(
    double bestJobStepsPerSecond, int bestBatch, double singleJobStepsPerSecond) {
  /** The DiT's max_batch_size in triton-models/dit/config.pbtxt. */
  public static final int MAX_DIT_BATCH = 32;

  public static Capacity of(Path profileFile) {
    SimulatedProfile profile;
    try {
      profile = SimulatedProfile.load(profileFile, 1.0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return of(profile);
  }

  public static Capacity of(SimulatedProfile profile) {
    double best = 0;
    int bestBatch = 1;
    for (int rows = 1; rows <= MAX_DIT_BATCH; rows++) {
      double throughput = rows / seconds(profile, rows);
      if (throughput > best * (1 + 1e-9)) {
        best = throughput;
        bestBatch = rows;
      }
    }
    return new Capacity(best, bestBatch, 1 / seconds(profile, 1));
  }

  private static double seconds(SimulatedProfile profile, int rows) {
    return profile.latency("dit", rows).toNanos() / 1e9;
  }

  /** Step latency of the best batch, in profile seconds. */
  public double bestBatchSeconds() {
    return bestBatch / bestJobStepsPerSecond;
  }
}
