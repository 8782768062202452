package dev.framecast.scheduler.job;

import java.util.Arrays;

/**
 * A running job's latents after {@code step} of its denoising steps, and the GPU-seconds it had
 * been charged by then: enough to resume it at that step after a restart (the guidance follows from
 * its spec, its text is encoded again), with the same clip as an undisturbed run, since a step is a
 * pure function of its inputs. {@code pipeline} is the {@link
 * dev.framecast.scheduler.pipeline.Pipeline#stepFingerprint() step fingerprint} of the pipeline
 * that made the steps: only a pipeline with the same one (schedule, sampler, shapes) goes on from
 * them.
 */
public record LatentCheckpoint(int step, double gpuSeconds, long pipeline, byte[] latents) {
  public LatentCheckpoint {
    if (step < 1) {
      throw new IllegalArgumentException("a checkpoint follows at least one step, got " + step);
    }
    if (!(gpuSeconds >= 0) || Double.isInfinite(gpuSeconds)) {
      throw new IllegalArgumentException("GPU-seconds must be finite and >= 0, got " + gpuSeconds);
    }
    latents = latents.clone();
  }

  @Override
  public byte[] latents() {
    return latents.clone();
  }

  /**
   * Whether it can resume a job of {@code totalSteps} steps whose pipeline's latents have {@code
   * latentSize} elements: a step up to the last (after the last, the job resumes at its decode),
   * latents of that size.
   */
  public boolean fits(int totalSteps, int latentSize) {
    return step <= totalSteps && latents.length == latentSize * Float.BYTES;
  }

  /** Whether the pipeline with this step fingerprint made it (and may go on from it). */
  public boolean madeBy(long stepFingerprint) {
    return pipeline == stepFingerprint;
  }

  /** The size of the latents in bytes (without copying them). */
  public int latentBytes() {
    return latents.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LatentCheckpoint c
        && c.step == step
        && Double.compare(c.gpuSeconds, gpuSeconds) == 0
        && c.pipeline == pipeline
        && Arrays.equals(c.latents, latents);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * (31 * step + Double.hashCode(gpuSeconds)) + Long.hashCode(pipeline))
        + Arrays.hashCode(latents);
  }

  @Override
  public String toString() {
    return "LatentCheckpoint[step="
        + step
        + ", gpuSeconds="
        + gpuSeconds
        + ", pipeline="
        + Long.toHexString(pipeline)
        + ", "
        + latents.length
        + " bytes]";
  }
}
