package dev.framecast.cli.eval;

import java.util.List;

/**
 * Scores a clip exactly as {@code triton-models/training/eval.py}'s {@code score_clip}: the shape
 * is the pixels whose brightest channel exceeds {@link #BRIGHT}; its colour is their mean colour,
 * normalised to a maximum of 1 and mapped to the nearest of data.py's 7 colours; its direction is
 * the displacement of its centroid between the first and the last {@link #EDGE_FRAMES} frames that
 * show it, when that is at least {@link #MIN_MOTION_PX} on some axis; and each frame's shapes are
 * its 4-connected regions of at least {@link #MIN_SHAPE_PX} bright pixels (one is right; more is a
 * shape in pieces or a second shape, none a blank frame). {@code ClipScorerTest} runs the Python
 * scorer on the same frames and compares.
 */
public final class ClipScorer {
  /** A pixel belongs to the shape if its brightest channel exceeds this (in [0, 1]). */
  public static final double BRIGHT = 0.35;

  /** Frames averaged at each end to measure motion. */
  public static final int EDGE_FRAMES = 4;

  /** The least centroid displacement, in pixels, that counts as motion. */
  public static final double MIN_MOTION_PX = 3.0;

  /** A connected region of bright pixels this large counts as a shape (smaller: a speck). */
  public static final int MIN_SHAPE_PX = 6;

  /**
   * A clip's score.
   *
   * @param colour the nearest colour, null when no pixel is bright
   * @param direction left, right, up or down; null when the shape did not move measurably
   * @param meanRgb the mean colour of the bright pixels, in [0, 1]
   * @param displacement centroid motion {@code [dx, dy]} in pixels, y pointing down
   * @param shapes the shapes in each frame
   */
  public record Score(
      String colour, String direction, double[] meanRgb, double[] displacement, int[] shapes) {

    /** The frames that hold exactly one shape. */
    public int oneShapeFrames() {
      return (int) java.util.Arrays.stream(shapes).filter(n -> n == 1).count();
    }
  }

  private ClipScorer() {}

  /** Scores RGB frames of {@code height * width * 3} bytes each. */
  public static Score score(List<byte[]> frames, int width, int height) {
    int pixels = width * height;
    double[] sum = new double[3];
    long bright = 0;
    // Per frame: sum of x, sum of y and count of bright pixels (null when none).
    double[][] centroids = new double[frames.size()][];
    int[] shapes = new int[frames.size()];
    for (int f = 0; f < frames.size(); f++) {
      byte[] rgb = frames.get(f);
      if (rgb.length != pixels * 3) {
        throw new IllegalArgumentException(
            "frame " + f + " has " + rgb.length + " bytes, expected " + pixels * 3);
      }
      double sx = 0;
      double sy = 0;
      long n = 0;
      boolean[] mask = new boolean[pixels];
      for (int p = 0; p < pixels; p++) {
        int r = rgb[3 * p] & 0xFF;
        int g = rgb[3 * p + 1] & 0xFF;
        int b = rgb[3 * p + 2] & 0xFF;
        // eval.py compares float32(value / 255) > 0.35; for bytes that is value >= 90.
        if (Math.max(r, Math.max(g, b)) / 255.0f > (float) BRIGHT) {
          sum[0] += r / 255.0;
          sum[1] += g / 255.0;
          sum[2] += b / 255.0;
          sx += p % width;
          sy += p / width;
          n++;
          mask[p] = true;
        }
      }
      shapes[f] = countShapes(mask, width, height);
      bright += n;
      centroids[f] = n == 0 ? null : new double[] {sx / n, sy / n};
    }
    if (bright == 0) {
      return new Score(null, null, new double[] {0, 0, 0}, new double[] {0, 0}, shapes);
    }
    double[] mean = {sum[0] / bright, sum[1] / bright, sum[2] / bright};
    double[] displacement = displacement(centroids);
    return new Score(nearestColour(mean), direction(displacement), mean, displacement, shapes);
  }

  /**
   * The 4-connected regions of {@code mask} ({@code height} rows of {@code width}) that hold at
   * least {@link #MIN_SHAPE_PX} pixels.
   */
  static int countShapes(boolean[] mask, int width, int height) {
    boolean[] seen = new boolean[mask.length];
    int[] stack = new int[mask.length];
    int found = 0;
    for (int start = 0; start < mask.length; start++) {
      if (!mask[start] || seen[start]) {
        continue;
      }
      seen[start] = true;
      int top = 0;
      stack[top++] = start;
      int size = 0;
      while (top > 0) {
        int p = stack[--top];
        size++;
        int x = p % width;
        int y = p / width;
        for (int q :
            new int[] {
              x > 0 ? p - 1 : -1,
              x < width - 1 ? p + 1 : -1,
              y > 0 ? p - width : -1,
              y < height - 1 ? p + width : -1
            }) {
          if (q >= 0 && mask[q] && !seen[q]) {
            seen[q] = true;
            stack[top++] = q;
          }
        }
      }
      if (size >= MIN_SHAPE_PX) {
        found++;
      }
    }
    return found;
  }

  /** The mean centroid of the last k frames with a shape minus that of the first k. */
  private static double[] displacement(double[][] centroids) {
    List<double[]> present =
        java.util.Arrays.stream(centroids).filter(java.util.Objects::nonNull).toList();
    if (present.size() < 2) {
      return new double[] {0, 0};
    }
    int k = Math.min(EDGE_FRAMES, present.size() / 2);
    double[] first = new double[2];
    double[] last = new double[2];
    for (int i = 0; i < k; i++) {
      for (int axis = 0; axis < 2; axis++) {
        first[axis] += present.get(i)[axis] / k;
        last[axis] += present.get(present.size() - k + i)[axis] / k;
      }
    }
    return new double[] {last[0] - first[0], last[1] - first[1]};
  }

  static String direction(double[] d) {
    if (Math.max(Math.abs(d[0]), Math.abs(d[1])) < MIN_MOTION_PX) {
      return null;
    }
    if (Math.abs(d[0]) >= Math.abs(d[1])) {
      return d[0] > 0 ? "right" : "left";
    }
    return d[1] > 0 ? "down" : "up";
  }

  /** Brightness normalised first (a dim red is still red), then the nearest of the 7 colours. */
  static String nearestColour(double[] rgb) {
    double max = Math.max(Math.max(Math.max(rgb[0], rgb[1]), rgb[2]), 1e-6);
    String best = null;
    double bestDistance = Double.POSITIVE_INFINITY;
    for (int c = 0; c < EvalPrompts.COLOUR_NAMES.size(); c++) {
      double distance = 0;
      for (int i = 0; i < 3; i++) {
        double diff = rgb[i] / max - EvalPrompts.COLOUR_RGB[c][i];
        distance += diff * diff;
      }
      // Strictly less: the first of equally near colours wins, as numpy's argmin does.
      if (distance < bestDistance) {
        bestDistance = distance;
        best = EvalPrompts.COLOUR_NAMES.get(c);
      }
    }
    return best;
  }
}
