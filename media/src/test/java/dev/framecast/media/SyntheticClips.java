package dev.framecast.media;

/**
 * Deterministic test clips. {@link #moving} stands in for generated video: a drifting colour
 * gradient with a fine texture that moves with it, a disc crossing the frame and a little temporal
 * noise, so an encoder has both motion and detail to code (pure noise would be unrealistically
 * hard, a flat clip unrealistically easy).
 */
final class SyntheticClips {
  private SyntheticClips() {}

  /** {@code frames} frames of {@code height x width} moving content, RGB. */
  static byte[] moving(int frames, int height, int width) {
    byte[] rgb = new byte[frames * height * width * 3];
    long seed = 42;
    int i = 0;
    double radius = Math.min(width, height) * 0.15;
    for (int f = 0; f < frames; f++) {
      double cx = width * (0.2 + 0.6 * f / Math.max(1, frames - 1));
      double cy = height * (0.5 + 0.25 * Math.sin(f * 0.2));
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          seed = seed * 6364136223846793005L + 1442695040888963407L;
          int tx = x + 2 * f;
          int texture =
              (int) ((((tx * 73856093L) ^ (y * 19349663L)) * 0x9E3779B97F4A7C15L) >>> 60) - 8;
          int noise = texture + (int) (seed >>> 62) - 2;
          boolean inDisc = (x - cx) * (x - cx) + (y - cy) * (y - cy) < radius * radius;
          int r = inDisc ? 230 : (tx % width) * 255 / width;
          int g = inDisc ? 60 : (y + f) * 255 / height;
          int b = inDisc ? 40 : 128 + (int) (60 * Math.sin((x + y + 3 * f) * 0.05));
          rgb[i++] = clamp(r + noise);
          rgb[i++] = clamp(g + noise);
          rgb[i++] = clamp(b + noise);
        }
      }
    }
    return rgb;
  }

  /** {@code frames} frames of one colour. */
  static byte[] flat(int frames, int height, int width, int r, int g, int b) {
    byte[] rgb = new byte[frames * height * width * 3];
    for (int i = 0; i < rgb.length; i += 3) {
      rgb[i] = (byte) r;
      rgb[i + 1] = (byte) g;
      rgb[i + 2] = (byte) b;
    }
    return rgb;
  }

  /**
   * A disc of one colour on black, {@code size x size}, its centre at {@code (x0 + dx * f, y0 + dy
   * * f)} in frame {@code f}; {@code path} is {@code {x0, y0, dx, dy}}.
   */
  static byte[] disc(int frames, int size, int[] colour, int radius, int[] path) {
    byte[] rgb = new byte[frames * size * size * 3];
    for (int f = 0; f < frames; f++) {
      double cx = path[0] + path[2] * f;
      double cy = path[1] + path[3] * f;
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius) {
            int p = 3 * ((f * size + y) * size + x);
            for (int c = 0; c < 3; c++) {
              rgb[p + c] = (byte) colour[c];
            }
          }
        }
      }
    }
    return rgb;
  }

  private static byte clamp(int v) {
    return (byte) Math.max(0, Math.min(255, v));
  }
}
