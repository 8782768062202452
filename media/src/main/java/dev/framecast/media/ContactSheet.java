package dev.framecast.media;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * A grid of frames as one PNG: tiles left to right, top to bottom, separated by a small dark gap.
 * Long clips are sampled (at most {@code maxTiles} evenly spaced frames, first and last included)
 * and large frames can be shrunk by an integer factor, so a 121-frame 720p clip still makes a sheet
 * of reasonable size. Immutable and thread-safe.
 */
public final class ContactSheet {
  /** Pixels between tiles. */
  public static final int DEFAULT_GAP = 2;

  /** Most tiles on a sheet unless configured otherwise. */
  public static final int DEFAULT_MAX_TILES = 64;

  /** The gap's colour, dark grey so that black frames still show their edges. */
  private static final byte GAP_GREY = 0x20;

  private final int columns;
  private final int gap;
  private final int maxTiles;
  private final int downscale;
  private final PngEncoder png;

  /** A sheet with {@code columns} columns, the default gap and tile limit, frames at full size. */
  public ContactSheet(int columns) {
    this(columns, DEFAULT_GAP, DEFAULT_MAX_TILES, 1);
  }

  /**
   * @param columns tiles per row (fewer when the clip has fewer frames)
   * @param gap pixels between tiles, 0 to 64
   * @param maxTiles most frames shown; longer clips are sampled evenly
   * @param downscale keep every {@code downscale}-th pixel of each frame in both directions
   */
  public ContactSheet(int columns, int gap, int maxTiles, int downscale) {
    if (columns < 1) {
      throw new IllegalArgumentException("columns must be positive, got " + columns);
    }
    if (gap < 0 || gap > 64) {
      throw new IllegalArgumentException("gap must be 0 to 64 pixels, got " + gap);
    }
    if (maxTiles < 1) {
      throw new IllegalArgumentException("maxTiles must be positive, got " + maxTiles);
    }
    if (downscale < 1) {
      throw new IllegalArgumentException("downscale must be positive, got " + downscale);
    }
    this.columns = columns;
    this.gap = gap;
    this.maxTiles = maxTiles;
    this.downscale = downscale;
    this.png = new PngEncoder();
  }

  /** The sheet of {@code frames} as PNG bytes. */
  public byte[] render(RgbFrames frames) {
    Layout layout = layout(frames);
    // Fits in an int: the layout keeps the sheet under PngEncoder.MAX_PIXELS.
    byte[] canvas = new byte[layout.width() * layout.height() * RgbFrames.CHANNELS];
    Arrays.fill(canvas, GAP_GREY);
    ByteBuffer data = frames.data();
    List<Integer> shown = layout.frameIndices();
    for (int tile = 0; tile < shown.size(); tile++) {
      int x0 = (tile % layout.columns()) * (layout.tileWidth() + gap);
      int y0 = (tile / layout.columns()) * (layout.tileHeight() + gap);
      copyTile(data, frames, shown.get(tile), canvas, layout.width(), x0, y0, layout);
    }
    return png.encode(ByteBuffer.wrap(canvas), 0, layout.height(), layout.width(), 1);
  }

  /**
   * Where each frame goes: the sheet's size, the tile size and which frames are shown. Fails with
   * {@link IllegalArgumentException} when the frames are smaller than the downscale factor or the
   * sheet would exceed {@link PngEncoder#MAX_PIXELS}.
   */
  public Layout layout(RgbFrames frames) {
    int tileWidth = frames.width() / downscale;
    int tileHeight = frames.height() / downscale;
    if (tileWidth == 0 || tileHeight == 0) {
      throw new IllegalArgumentException(
          "frames of "
              + frames.height()
              + "x"
              + frames.width()
              + " are smaller than the downscale factor "
              + downscale);
    }
    List<Integer> shown = sample(frames.count(), maxTiles);
    int cols = Math.min(columns, shown.size());
    int rows = (shown.size() + cols - 1) / cols;
    long width = (long) cols * tileWidth + (long) (cols - 1) * gap;
    long height = (long) rows * tileHeight + (long) (rows - 1) * gap;
    if (width > PngEncoder.MAX_DIMENSION
        || height > PngEncoder.MAX_DIMENSION
        || width * height > PngEncoder.MAX_PIXELS) {
      throw new IllegalArgumentException(
          "contact sheet of "
              + height
              + "x"
              + width
              + " is too large; use fewer tiles or a larger downscale factor");
    }
    return new Layout((int) width, (int) height, cols, tileWidth, tileHeight, shown);
  }

  /** {@code tiles} evenly spaced frame indices out of {@code count}, first and last included. */
  static List<Integer> sample(int count, int tiles) {
    int n = Math.min(count, tiles);
    Integer[] indices = new Integer[n];
    for (int i = 0; i < n; i++) {
      indices[i] = n == 1 ? 0 : (int) ((long) i * (count - 1) / (n - 1));
    }
    return List.of(indices);
  }

  private void copyTile(
      ByteBuffer data,
      RgbFrames frames,
      int frame,
      byte[] canvas,
      int canvasWidth,
      int x0,
      int y0,
      Layout layout) {
    int frameOffset = frames.frameOffset(frame);
    int srcRow = frames.width() * RgbFrames.CHANNELS;
    int tileRow = layout.tileWidth() * RgbFrames.CHANNELS;
    for (int y = 0; y < layout.tileHeight(); y++) {
      int src = frameOffset + y * downscale * srcRow;
      int dst = ((y0 + y) * canvasWidth + x0) * RgbFrames.CHANNELS;
      if (downscale == 1) {
        data.get(src, canvas, dst, tileRow);
        continue;
      }
      for (int x = 0; x < layout.tileWidth(); x++) {
        int s = src + x * downscale * RgbFrames.CHANNELS;
        canvas[dst++] = data.get(s);
        canvas[dst++] = data.get(s + 1);
        canvas[dst++] = data.get(s + 2);
      }
    }
  }

  /**
   * A sheet's geometry.
   *
   * @param width sheet width in pixels
   * @param height sheet height in pixels
   * @param columns tiles per row
   * @param tileWidth one tile's width (frame width / downscale)
   * @param tileHeight one tile's height (frame height / downscale)
   * @param frameIndices the frames shown, in order
   */
  public record Layout(
      int width,
      int height,
      int columns,
      int tileWidth,
      int tileHeight,
      List<Integer> frameIndices) {
    public Layout {
      frameIndices = List.copyOf(frameIndices);
    }
  }
}
