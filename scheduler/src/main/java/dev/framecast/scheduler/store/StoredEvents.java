package dev.framecast.scheduler.store;

import com.google.protobuf.ByteString;
import dev.framecast.api.v1.JobEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * How events are kept without their blobs and given them back. The store keeps no images or clip
 * bytes: a preview image is dropped (a replay needs only the latest, and only while the job runs);
 * a frame's PNG and a clip chunk's bytes are read back from the clip store, where the finished clip
 * and its frames are kept.
 */
final class StoredEvents {
  private StoredEvents() {}

  /** The event as stored: the same seq, time and fields, without blobs. */
  static JobEvent strip(JobEvent event) {
    return switch (event.getEventCase()) {
      case PROGRESS ->
          event.getProgress().getPreviewPng().isEmpty()
              ? event
              : event.toBuilder()
                  .setProgress(event.getProgress().toBuilder().clearPreviewPng())
                  .build();
      case FRAME -> event.toBuilder().setFrame(event.getFrame().toBuilder().clearPng()).build();
      case CLIP_CHUNK ->
          event.toBuilder().setClipChunk(event.getClipChunk().toBuilder().clearData()).build();
      default -> event;
    };
  }

  /**
   * Stored events with their blobs back: clip chunks sliced from {@code clip} (each ends where the
   * next begins, the last at the clip's end), frames from {@code frames} by index. A blob that is
   * not there (null) stays empty.
   */
  static List<JobEvent> rehydrate(List<JobEvent> stored, byte[] clip, List<byte[]> frames) {
    List<JobEvent> events = new ArrayList<>(stored.size());
    for (int i = 0; i < stored.size(); i++) {
      JobEvent event = stored.get(i);
      if (event.hasClipChunk() && clip != null) {
        long offset = event.getClipChunk().getOffset();
        long end = clip.length;
        for (int j = i + 1; j < stored.size(); j++) {
          if (stored.get(j).hasClipChunk()) {
            end = stored.get(j).getClipChunk().getOffset();
            break;
          }
        }
        if (offset <= end && end <= clip.length) {
          event =
              event.toBuilder()
                  .setClipChunk(
                      event.getClipChunk().toBuilder()
                          .setData(ByteString.copyFrom(clip, (int) offset, (int) (end - offset))))
                  .build();
        }
      } else if (event.hasFrame()
          && frames != null
          && event.getFrame().getIndex() < frames.size()) {
        event =
            event.toBuilder()
                .setFrame(
                    event.getFrame().toBuilder()
                        .setPng(ByteString.copyFrom(frames.get(event.getFrame().getIndex()))))
                .build();
      }
      events.add(event);
    }
    return events;
  }
}
