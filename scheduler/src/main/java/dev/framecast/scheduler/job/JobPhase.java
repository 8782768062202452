package dev.framecast.scheduler.job;

import dev.framecast.api.v1.JobState;
import java.util.EnumSet;
import java.util.Set;

/**
 * Where a job is in its life. Every transition is checked against {@link #next()}; terminal phases
 * have none. The public {@link JobState} is coarser.
 */
public enum JobPhase {
  /** Admitted, waiting for its prompts to be encoded. */
  QUEUED,
  /** Its prompts are in a text_encoder call. */
  ENCODING_TEXT,
  /** Encoded, waiting in the fair queue for a place in a node's active set (or preempted). */
  READY,
  /** In an active set: one DiT step per tick. */
  DENOISING,
  /** Final latents in a vae call. */
  DECODING,
  /** Frames being encoded into the clip off the loop thread. */
  ENCODING_VIDEO,
  SUCCEEDED,
  FAILED,
  CANCELLED;

  public boolean isTerminal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }

  /** The phases this one may move to. */
  public Set<JobPhase> next() {
    return switch (this) {
      case QUEUED -> EnumSet.of(ENCODING_TEXT, READY, FAILED, CANCELLED);
      case ENCODING_TEXT -> EnumSet.of(READY, QUEUED, FAILED, CANCELLED);
      case READY -> EnumSet.of(DENOISING, FAILED, CANCELLED);
      case DENOISING -> EnumSet.of(READY, DECODING, FAILED, CANCELLED);
      case DECODING -> EnumSet.of(ENCODING_VIDEO, DENOISING, FAILED, CANCELLED);
      case ENCODING_VIDEO -> EnumSet.of(SUCCEEDED, FAILED, CANCELLED);
      case SUCCEEDED, FAILED, CANCELLED -> EnumSet.noneOf(JobPhase.class);
    };
  }

  public JobState publicState() {
    return switch (this) {
      case QUEUED, ENCODING_TEXT, READY -> JobState.QUEUED;
      case DENOISING, DECODING, ENCODING_VIDEO -> JobState.RUNNING;
      case SUCCEEDED -> JobState.SUCCEEDED;
      case FAILED -> JobState.FAILED;
      case CANCELLED -> JobState.CANCELLED;
    };
  }
}
