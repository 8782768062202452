package dev.framecast.scheduler;

import dev.framecast.media.ClipEncoder;
import dev.framecast.media.ContactSheet;
import dev.framecast.media.FfmpegClipEncoder;
import dev.framecast.media.PngEncoder;
import dev.framecast.media.RgbFrames;
import dev.framecast.scheduler.engine.ClipRenderer;
import java.util.ArrayList;
import java.util.List;

/** The engine's renderer over the media package: PNG frames, preview strips and the MP4. */
public final class Renderers {
  private Renderers() {}

  /** Tiles a row of a clip's sprite sheet. */
  static final int SPRITE_COLUMNS = 8;

  /** A sprite sheet's tiles are at most about this wide or high. */
  static final int SPRITE_TILE = 256;

  /** PNG frames, a strip of the decoded preview frames, and H.264 MP4 clips (FFmpeg). */
  public static ClipRenderer standard() {
    return new Standard(new PngEncoder(), new FfmpegClipEncoder());
  }

  private record Standard(PngEncoder png, ClipEncoder clips) implements ClipRenderer {
    @Override
    public Rendered render(
        byte[] rgb, int frames, int height, int width, float fps, boolean framePngs) {
      RgbFrames all = RgbFrames.of(rgb, frames, height, width);
      List<byte[]> pngs = new ArrayList<>();
      if (framePngs) {
        for (int i = 0; i < frames; i++) {
          pngs.add(png.encodeFrame(all, i, 1));
        }
      }
      byte[] clip = clips.encode(all, fps);
      return new Rendered(
          pngs,
          clip,
          clips.contentType(),
          framePngs ? pngs.get(0) : png.encodeFrame(all, 0, 1),
          spritesheet(all));
    }

    /** Eight frames a row, at most 64 (sampled evenly), each shrunk to about 256 pixels. */
    private static byte[] spritesheet(RgbFrames frames) {
      int longest = Math.max(frames.width(), frames.height());
      int downscale = Math.max(1, (longest + SPRITE_TILE - 1) / SPRITE_TILE);
      return new ContactSheet(
              SPRITE_COLUMNS, ContactSheet.DEFAULT_GAP, ContactSheet.DEFAULT_MAX_TILES, downscale)
          .render(frames);
    }

    @Override
    public byte[] preview(byte[] rgb, int frames, int height, int width) {
      return new ContactSheet(Math.max(1, frames)).render(RgbFrames.of(rgb, frames, height, width));
    }
  }
}
