package dev.framecast.scheduler.engine;

import java.util.List;

/**
 * Turns decoded frames into what clients receive. Called on a worker thread, never on the loop.
 * Frames are UINT8 RGB, row-major [frames, height, width, 3].
 */
public interface ClipRenderer {
  /** One PNG per frame (when asked) and the clip. */
  Rendered render(byte[] rgb, int frames, int height, int width, float fps, boolean framePngs);

  /** A small preview image of a few decoded frames. */
  byte[] preview(byte[] rgb, int frames, int height, int width);

  /**
   * The rendered outputs of one job: the frame PNGs (when asked), the clip, and its thumbnail (the
   * first frame) and sprite sheet (a contact sheet of the frames) as PNGs, null when not made.
   */
  record Rendered(
      List<byte[]> framePngs,
      byte[] clip,
      String contentType,
      byte[] thumbnail,
      byte[] spritesheet) {
    public Rendered(List<byte[]> framePngs, byte[] clip, String contentType) {
      this(framePngs, clip, contentType, null, null);
    }
  }
}
