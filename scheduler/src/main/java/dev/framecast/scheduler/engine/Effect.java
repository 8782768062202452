package dev.framecast.scheduler.engine;

import dev.framecast.scheduler.job.Job;

/**
 * Work that applying a result starts off the loop thread; the loop hands each to {@link Renders},
 * and its outcome comes back as a command. Events are not effects: they are appended as jobs move,
 * because whether a job's last events fit its log decides how the job ends.
 */
sealed interface Effect {
  /** Encodes a job's decoded frames (UINT8 RGB) into its clip, and frame PNGs when asked. */
  record RenderClip(Job job, byte[] rgb, boolean framePngs) implements Effect {}

  /** Renders a preview image of the first {@code frames} decoded frames of a step's prediction. */
  record RenderPreview(Job job, int step, byte[] rgb, int frames) implements Effect {}
}
