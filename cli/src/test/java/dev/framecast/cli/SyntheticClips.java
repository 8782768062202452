package dev.framecast.cli;

import dev.framecast.media.FfmpegClipEncoder;
import dev.framecast.media.PngEncoder;
import dev.framecast.media.RgbFrames;
import java.util.ArrayList;
import java.util.List;

/** Clips drawn in code: one coloured shape moving in a straight line on black, like data.py's. */
public final class SyntheticClips {
  public static final int FRAMES = 16;
  public static final int SIZE = 64;
  public static final double FPS = 8;

  private SyntheticClips() {}

  /** Shapes of data.py: a circle or a square (half-side 0.85 r) of radius r. */
  public enum Shape {
    CIRCLE,
    SQUARE
  }

  /**
   * RGB frames, {@code [frame][y][x][rgb]} flattened: the shape's centre starts at (x0, y0) and
   * moves (dx, dy) pixels per frame.
   */
  public static byte[] draw(
      int[] rgb, Shape shape, double radius, double x0, double y0, double dx, double dy) {
    byte[] out = new byte[FRAMES * SIZE * SIZE * 3];
    for (int f = 0; f < FRAMES; f++) {
      double cx = x0 + dx * f;
      double cy = y0 + dy * f;
      for (int y = 0; y < SIZE; y++) {
        for (int x = 0; x < SIZE; x++) {
          double px = x + 0.5 - cx;
          double py = y + 0.5 - cy;
          double sd =
              shape == Shape.CIRCLE
                  ? Math.sqrt(px * px + py * py) - radius
                  : Math.max(Math.abs(px), Math.abs(py)) - radius * 0.85;
          double alpha = Math.max(0, Math.min(1, 0.5 - sd));
          int i = ((f * SIZE + y) * SIZE + x) * 3;
          for (int c = 0; c < 3; c++) {
            out[i + c] = (byte) Math.round(alpha * rgb[c]);
          }
        }
      }
    }
    return out;
  }

  public static byte[] redCircleMovingRight() {
    return draw(new int[] {255, 0, 0}, Shape.CIRCLE, 8, 12, 32, 2.2, 0);
  }

  public static byte[] blueSquareMovingUp() {
    return draw(new int[] {0, 0, 255}, Shape.SQUARE, 8, 32, 52, 0, -2.2);
  }

  /** H.264 in MP4 with the scheduler's encoder (FfmpegClipEncoder, over FfmpegMp4Writer). */
  public static byte[] mp4(byte[] rgb) {
    return new FfmpegClipEncoder().encode(RgbFrames.of(rgb, FRAMES, SIZE, SIZE), FPS);
  }

  /** Each frame as PNG, as the scheduler streams them in frame events. */
  public static List<byte[]> pngs(byte[] rgb) {
    RgbFrames frames = RgbFrames.of(rgb, FRAMES, SIZE, SIZE);
    PngEncoder png = new PngEncoder();
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < FRAMES; i++) {
      out.add(png.encodeFrame(frames, i, 1));
    }
    return out;
  }

  /** The frames one by one. */
  public static List<byte[]> split(byte[] rgb) {
    int frameBytes = SIZE * SIZE * 3;
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < FRAMES; i++) {
      byte[] frame = new byte[frameBytes];
      System.arraycopy(rgb, i * frameBytes, frame, 0, frameBytes);
      out.add(frame);
    }
    return out;
  }
}
