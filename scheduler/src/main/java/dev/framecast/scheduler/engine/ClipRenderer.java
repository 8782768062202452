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

  /** The rendered outputs of one job. */
  record Rendered(List<byte[]> framePngs, byte[] clip, String contentType) {}
}
