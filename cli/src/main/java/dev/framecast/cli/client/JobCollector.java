package dev.framecast.cli.client;

import dev.framecast.api.v1.Completed;
import dev.framecast.api.v1.JobEvent;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Keeps what a job's events deliver: the frames (PNG, by index) and the clip, assembled from its
 * chunks and checked against the size the Completed event announces. Passes every event on to a
 * display. One per job; used on the following thread only.
 */
public final class JobCollector implements JobFollower.Listener {
  private final JobFollower.Listener display;
  private final ClipAssembler clip;
  private final TreeMap<Integer, byte[]> frames = new TreeMap<>();
  private byte[] finished;

  public JobCollector(JobFollower.Listener display, ClipAssembler clip) {
    this.display = display;
    this.clip = clip;
  }

  @Override
  public void onEvent(JobEvent event) {
    switch (event.getEventCase()) {
      case FRAME ->
          frames.put(event.getFrame().getIndex(), event.getFrame().getPng().toByteArray());
      case CLIP_CHUNK -> clip.accept(event.getClipChunk());
      case COMPLETED -> finished = clip.finish(event.getCompleted().getClipSizeBytes());
      default -> {
        // the display shows the rest
      }
    }
    display.onEvent(event);
  }

  @Override
  public void onReconnect(Status status, int attempt, int maxAttempts, Duration delay) {
    display.onReconnect(status, attempt, maxAttempts, delay);
  }

  /** The clip, once a {@link Completed} event arrived and matched the chunks. */
  public byte[] clip() {
    if (finished == null) {
      throw new IllegalStateException("the job has not completed");
    }
    return finished;
  }

  /**
   * The frames in index order; empty when the job was not asked to stream them, or when some are
   * missing (a sheet with holes would misrepresent the clip, so the caller decodes the MP4).
   */
  public List<byte[]> frames(int expectedCount) {
    if (frames.size() != expectedCount
        || (!frames.isEmpty()
            && (frames.firstKey() != 0 || frames.lastKey() != expectedCount - 1))) {
      return List.of();
    }
    return new ArrayList<>(frames.values());
  }
}
