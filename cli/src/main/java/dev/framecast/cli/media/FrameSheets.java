package dev.framecast.cli.media;

import dev.framecast.media.ContactSheet;
import dev.framecast.media.Mp4Decoder;
import dev.framecast.media.RgbFrames;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Contact sheets of a clip's frames with {@link ContactSheet} (framecast-media): from the PNG
 * frames a job streamed, or from frames decoded out of its MP4. Large frames are shrunk so that a
 * sheet of a 720p clip stays a reasonable image.
 */
public final class FrameSheets {
  /** Tiles per row. */
  public static final int COLUMNS = 8;

  /** Tiles are at most about this wide or high; larger frames are shrunk by an integer factor. */
  static final int MAX_TILE = 256;

  /** Frames on one clip's sheet; longer clips are sampled evenly, first and last included. */
  public static final int MAX_TILES = ContactSheet.DEFAULT_MAX_TILES;

  private FrameSheets() {}

  /** The sheet (PNG bytes) of frames given as PNG images, in order. */
  public static byte[] fromPngs(List<byte[]> pngs) throws IOException {
    if (pngs.isEmpty()) {
      throw new IOException("no frames to put on a contact sheet");
    }
    BufferedImage first = read(pngs.get(0), 0);
    int width = first.getWidth();
    int height = first.getHeight();
    byte[] rgb = new byte[Math.multiplyExact(pngs.size(), width * height * 3)];
    int offset = 0;
    for (int i = 0; i < pngs.size(); i++) {
      BufferedImage image = i == 0 ? first : read(pngs.get(i), i);
      if (image.getWidth() != width || image.getHeight() != height) {
        throw new IOException(
            "frame "
                + i
                + " is "
                + image.getWidth()
                + "x"
                + image.getHeight()
                + ", not "
                + width
                + "x"
                + height);
      }
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          int pixel = image.getRGB(x, y);
          rgb[offset++] = (byte) (pixel >> 16);
          rgb[offset++] = (byte) (pixel >> 8);
          rgb[offset++] = (byte) pixel;
        }
      }
    }
    return render(RgbFrames.of(rgb, pngs.size(), height, width), COLUMNS, MAX_TILES);
  }

  /** The sheet of a decoded clip. */
  public static byte[] fromDecoded(Mp4Decoder.Decoded clip) {
    return fromRgb(clip.frames(), clip.width(), clip.height(), COLUMNS, MAX_TILES);
  }

  /**
   * The sheet of RGB frames ({@code height * width * 3} bytes each), {@code columns} per row; more
   * than {@code maxTiles} frames are sampled evenly.
   */
  public static byte[] fromRgb(
      List<byte[]> frames, int width, int height, int columns, int maxTiles) {
    int frameBytes = width * height * 3;
    byte[] rgb = new byte[Math.multiplyExact(frames.size(), frameBytes)];
    for (int i = 0; i < frames.size(); i++) {
      System.arraycopy(frames.get(i), 0, rgb, i * frameBytes, frameBytes);
    }
    return render(RgbFrames.of(rgb, frames.size(), height, width), columns, maxTiles);
  }

  private static byte[] render(RgbFrames frames, int columns, int maxTiles) {
    int longest = Math.max(frames.width(), frames.height());
    int downscale = Math.max(1, (longest + MAX_TILE - 1) / MAX_TILE);
    return new ContactSheet(columns, ContactSheet.DEFAULT_GAP, maxTiles, downscale).render(frames);
  }

  private static BufferedImage read(byte[] png, int index) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    if (image == null) {
      throw new IOException("frame " + index + " is not a readable PNG");
    }
    return image;
  }
}
