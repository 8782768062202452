package dev.framecast.media;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;

/**
 * The measurements behind docs/video-encoding.md: a plain timed main, not a test. Each case runs
 * warm-up iterations (JIT, native libraries, page cache), then timed ones; it prints the median,
 * the minimum, the process CPU time per operation (more than the wall time when a library uses
 * several threads) and the output size. Run it on a quiet machine, see the doc for the command.
 *
 * <p>Arguments (optional): {@code png}, {@code small}, {@code large} to run only some cases. With
 * {@code -Dmedia.out=DIR} each case's last output is also written to DIR, for a look in a browser.
 */
public final class MediaBenchmark {
  private MediaBenchmark() {}

  /** Something measured: one operation and the bytes it produced. */
  private interface Operation {
    byte[] run() throws Exception;
  }

  public static void main(String[] args) throws Exception {
    boolean all = args.length == 0;
    java.util.Set<String> only = java.util.Set.of(args);
    System.out.printf(
        "JDK %s, %d CPUs, FFmpeg encoder libopenh264%n",
        System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
    if (all || only.contains("png")) {
      png();
    }
    FfmpegClipEncoder encoder = new FfmpegClipEncoder();
    if (all || only.contains("small")) {
      RgbFrames small = RgbFrames.of(SyntheticClips.moving(16, 64, 64), 16, 64, 64);
      measure("MP4 16 frames 64x64 @ 8 fps", 30, 50, () -> encoder.encode(small, 8));
    }
    if (all || only.contains("large")) {
      RgbFrames large = RgbFrames.of(SyntheticClips.moving(121, 720, 1280), 121, 720, 1280);
      measure("MP4 121 frames 1280x720 @ 24 fps", 2, 5, () -> encoder.encode(large, 24));
    }
  }

  private static void png() throws Exception {
    byte[] frame = SyntheticClips.moving(1, 64, 64);
    PngEncoder png = new PngEncoder();
    measure("PNG 64x64, PngEncoder", 3000, 5000, () -> png.encode(frame, 0, 64, 64));
    measure("PNG 64x64, ImageIO", 3000, 5000, () -> imageIo(frame, 64, 64));
    measure(
        "PNG 64x64 upscaled x4, PngEncoder",
        1000,
        2000,
        () -> png.encode(java.nio.ByteBuffer.wrap(frame), 0, 64, 64, 4));
  }

  /** What the JDK alone would do: copy into a BufferedImage (RGB to BGR) and write a PNG. */
  private static byte[] imageIo(byte[] rgb, int height, int width) throws IOException {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
    byte[] bgr = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
    for (int i = 0; i < bgr.length; i += 3) {
      bgr[i] = rgb[i + 2];
      bgr[i + 1] = rgb[i + 1];
      bgr[i + 2] = rgb[i];
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  private static void measure(String name, int warmup, int timed, Operation operation)
      throws Exception {
    byte[] out = null;
    for (int i = 0; i < warmup; i++) {
      out = operation.run();
    }
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long[] nanos = new long[timed];
    long cpuStart = os.getProcessCpuTime();
    for (int i = 0; i < timed; i++) {
      long start = System.nanoTime();
      out = operation.run();
      nanos[i] = System.nanoTime() - start;
    }
    double cpuPerOp = (os.getProcessCpuTime() - cpuStart) / (double) timed;
    String dir = System.getProperty("media.out");
    if (dir != null) {
      String file =
          name.replaceAll("[^A-Za-z0-9]+", "-") + (name.startsWith("MP4") ? ".mp4" : ".png");
      Files.createDirectories(Path.of(dir));
      Files.write(Path.of(dir, file), out);
    }
    Arrays.sort(nanos);
    System.out.printf(
        "| %s | %s | %s | %s | %,d bytes |%n",
        name, duration(nanos[timed / 2]), duration(nanos[0]), duration(cpuPerOp), out.length);
  }

  private static String duration(double nanos) {
    if (nanos >= 1e9) {
      return String.format("%.2f s", nanos / 1e9);
    }
    if (nanos >= 1e6) {
      return String.format("%.1f ms", nanos / 1e6);
    }
    return String.format("%.0f µs", nanos / 1e3);
  }
}
