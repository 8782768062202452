package dev.framecast.media;

import java.nio.ByteBuffer;

/**
 * A validated, read-only view of decoded frames: the VAE's UINT8 tensor {@code [frames, height,
 * width, 3]}, RGB, row-major, without the batch dimension. Wraps the caller's bytes without copying
 * them, so the caller must not change them while an encoder reads them.
 */
public final class RgbFrames {
  /** Bytes per pixel (R, G, B). */
  public static final int CHANNELS = 3;

  private final int count;
  private final int height;
  private final int width;
  private final ByteBuffer data;

  private RgbFrames(int count, int height, int width, ByteBuffer data) {
    this.count = count;
    this.height = height;
    this.width = width;
    this.data = data;
  }

  /** Frames held in {@code rgb}, which must be exactly {@code count * height * width * 3} bytes. */
  public static RgbFrames of(byte[] rgb, int count, int height, int width) {
    if (rgb == null) {
      throw new IllegalArgumentException("rgb is null");
    }
    return of(ByteBuffer.wrap(rgb), count, height, width);
  }

  /**
   * Frames held in {@code rgb} from its position to its limit (for example a tensor's {@code
   * raw_output_contents} as a read-only buffer); that span must be exactly {@code count * height *
   * width * 3} bytes. The buffer's position and limit are not changed.
   */
  public static RgbFrames of(ByteBuffer rgb, int count, int height, int width) {
    if (rgb == null) {
      throw new IllegalArgumentException("rgb is null");
    }
    if (count <= 0) {
      throw new IllegalArgumentException("frame count must be positive, got " + count);
    }
    if (height <= 0 || width <= 0) {
      throw new IllegalArgumentException(
          "frame size must be positive, got " + height + "x" + width + " (height x width)");
    }
    long expected = (long) count * height * width * CHANNELS;
    if (rgb.remaining() != expected) {
      throw new IllegalArgumentException(
          "rgb has "
              + rgb.remaining()
              + " bytes, expected "
              + expected
              + " ("
              + count
              + " frames x "
              + height
              + " x "
              + width
              + " x 3)");
    }
    return new RgbFrames(count, height, width, rgb.slice().asReadOnlyBuffer());
  }

  /** Number of frames. */
  public int count() {
    return count;
  }

  /** Frame height in pixels. */
  public int height() {
    return height;
  }

  /** Frame width in pixels. */
  public int width() {
    return width;
  }

  /** Bytes in one frame: {@code height * width * 3}. */
  public int frameBytes() {
    return height * width * CHANNELS;
  }

  /** Index of frame {@code index}'s first byte in {@link #data()}. */
  public int frameOffset(int index) {
    if (index < 0 || index >= count) {
      throw new IndexOutOfBoundsException("frame " + index + " of " + count);
    }
    return index * frameBytes();
  }

  /** All frames, read-only, position 0; a new view on each call, so callers may move it freely. */
  public ByteBuffer data() {
    return data.duplicate();
  }
}
