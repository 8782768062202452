package dev.framecast.media;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * H.264 in MP4 with FFmpeg (JavaCPP's LGPL build) and its libopenh264 encoder: the clip browsers
 * play. Why this library and these settings: docs/video-encoding.md.
 *
 * <ul>
 *   <li>Constrained Baseline profile, 4:2:0 (yuv420p), the level chosen by OpenH264 from the size
 *       and frame rate; BT.709 limited range, signalled in the stream and in the MP4 ({@code
 *       colr}), so browsers convert back to the same RGB.
 *   <li>{@code moov} before {@code mdat} ("faststart"), so playback starts before the download
 *       ends.
 *   <li>Frame {@code i} at {@code i / fps} seconds; the clip lasts {@code frames / fps} seconds.
 *   <li>An IDR picture every other frame (so OpenH264's background skip cannot leave a copy of a
 *       moving shape behind: {@code FfmpegMp4Writer.INTRA_PERIOD}); bit rate {@code width * height
 *       * fps * bitsPerPixel}, at least {@link #MIN_BIT_RATE}.
 *   <li>Odd widths or heights are padded to even ones (4:2:0 needs them) by repeating the last
 *       column or row: a 63x47 clip is encoded as 64x48.
 * </ul>
 *
 * <p>Thread-safe: each call owns its FFmpeg contexts and temporary file, and one call encodes on
 * one thread, so a worker pool of N threads uses N cores. The MP4 muxer writes a temporary file (in
 * {@code tempDirectory}) because moving {@code moov} to the front re-reads the file by name; the
 * file is deleted before the call returns.
 */
public final class FfmpegClipEncoder implements ClipEncoder {
  /** The media type of the clips. */
  public static final String CONTENT_TYPE = "video/mp4";

  /** The bit-rate budget per pixel per frame, enough for smooth generated video (see the doc). */
  public static final double DEFAULT_BITS_PER_PIXEL = 0.1;

  /** Small clips get at least this many bits per second; a 64x64 clip improves up to about it. */
  public static final long MIN_BIT_RATE = 100_000;

  /** Largest encoded width * height: H.264 level 5.2's frame size (36,864 macroblocks). */
  public static final int MAX_PIXELS = 36_864 * 256;

  /** Largest encoded width or height. */
  public static final int MAX_DIMENSION = 4_096;

  /** Lowest frame rate accepted. */
  public static final double MIN_FPS = 0.1;

  /** Highest frame rate accepted. */
  public static final double MAX_FPS = 240;

  private final Path tempDirectory;
  private final double bitsPerPixel;

  /** The default bit rate, temporary files in {@code java.io.tmpdir}. */
  public FfmpegClipEncoder() {
    this(Path.of(System.getProperty("java.io.tmpdir")), DEFAULT_BITS_PER_PIXEL);
  }

  /**
   * Loads FFmpeg's native libraries now (a few hundred milliseconds, once per process), so a broken
   * installation fails at startup rather than on the first clip.
   *
   * @param tempDirectory where each call writes its temporary MP4
   * @param bitsPerPixel the bit-rate budget per pixel per frame, above 0 and at most 24
   * @throws ClipEncodingException when FFmpeg has no libopenh264 encoder
   */
  public FfmpegClipEncoder(Path tempDirectory, double bitsPerPixel) {
    if (tempDirectory == null) {
      throw new IllegalArgumentException("tempDirectory is null");
    }
    if (!(bitsPerPixel > 0 && bitsPerPixel <= 24)) {
      throw new IllegalArgumentException("bitsPerPixel must be in (0, 24], got " + bitsPerPixel);
    }
    FfmpegMp4Writer.checkEncoderPresent();
    this.tempDirectory = tempDirectory;
    this.bitsPerPixel = bitsPerPixel;
  }

  @Override
  public String contentType() {
    return CONTENT_TYPE;
  }

  @Override
  public byte[] encode(RgbFrames frames, double fps) {
    if (frames == null) {
      throw new IllegalArgumentException("frames is null");
    }
    if (!(fps >= MIN_FPS && fps <= MAX_FPS)) {
      throw new IllegalArgumentException(
          "fps must be between " + MIN_FPS + " and " + MAX_FPS + ", got " + fps);
    }
    int width = frames.width() + (frames.width() & 1);
    int height = frames.height() + (frames.height() & 1);
    if (width > MAX_DIMENSION || height > MAX_DIMENSION || (long) width * height > MAX_PIXELS) {
      throw new IllegalArgumentException(
          "frames of "
              + frames.height()
              + "x"
              + frames.width()
              + " are too large for H.264 (at most "
              + MAX_DIMENSION
              + " a side and "
              + MAX_PIXELS
              + " pixels)");
    }
    Path file;
    try {
      file = Files.createTempFile(tempDirectory, "framecast-clip-", ".mp4");
    } catch (IOException e) {
      throw new ClipEncodingException("cannot create a temporary file in " + tempDirectory, e);
    }
    try {
      try (FfmpegMp4Writer writer =
          new FfmpegMp4Writer(file, width, height, fps, bitRate(width, height, fps))) {
        for (int i = 0; i < frames.count(); i++) {
          writer.write(frames, i);
        }
        writer.finish();
      }
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ClipEncodingException("cannot read back " + file, e);
    } finally {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // The clip is already in memory; a stray temporary file is not worth failing the job.
      }
    }
  }

  private long bitRate(int width, int height, double fps) {
    return Math.max(MIN_BIT_RATE, Math.round(width * (double) height * fps * bitsPerPixel));
  }
}
