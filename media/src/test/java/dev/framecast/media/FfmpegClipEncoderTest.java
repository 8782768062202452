package dev.framecast.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.framecast.media.Mp4Boxes.Box;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FfmpegClipEncoderTest {
  private static final int FRAMES = 16;
  private static final int SIZE = 64;
  private static final int FPS = 8;

  @TempDir static Path temp;

  private static FfmpegClipEncoder encoder;
  private static byte[] moving;
  private static byte[] clip;

  @BeforeAll
  static void encodeOnce() {
    encoder = new FfmpegClipEncoder(temp, FfmpegClipEncoder.DEFAULT_BITS_PER_PIXEL);
    moving = SyntheticClips.moving(FRAMES, SIZE, SIZE);
    clip = encoder.encode(RgbFrames.of(moving, FRAMES, SIZE, SIZE), FPS);
  }

  @Test
  void isAnMp4WithMoovBeforeMdat() {
    Mp4Boxes mp4 = new Mp4Boxes(clip);
    List<String> top = mp4.top().stream().map(Box::type).toList();

    assertThat(encoder.contentType()).isEqualTo("video/mp4");
    assertThat(top.get(0)).isEqualTo("ftyp");
    assertThat(top).contains("moov", "mdat");
    assertThat(top.indexOf("moov")).as("faststart").isLessThan(top.indexOf("mdat"));
  }

  @Test
  void hasOneH264TrackInConstrainedBaseline() {
    Mp4Boxes mp4 = new Mp4Boxes(clip);
    Box stsd = mp4.find("moov/trak/mdia/minf/stbl/stsd");
    Box avc1 = mp4.find("moov/trak/mdia/minf/stbl/stsd/avc1");
    int[] avcC = mp4.avcConfiguration(mp4.find("moov/trak/mdia/minf/stbl/stsd/avc1/avcC"));

    assertThat(mp4.find("moov").children().stream().filter(b -> b.type().equals("trak")))
        .hasSize(1);
    assertThat(stsd.children()).extracting(Box::type).containsExactly("avc1");
    assertThat(mp4.sampleEntrySize(avc1)).containsExactly(SIZE, SIZE);
    assertThat(avcC[0]).as("configurationVersion").isEqualTo(1);
    // Baseline (66) with constraint_set1_flag: Constrained Baseline, which every browser decodes;
    // Baseline has no chroma_format_idc, so its chroma is 4:2:0 (yuv420p) by definition.
    assertThat(avcC[1]).as("profile_idc").isEqualTo(66);
    assertThat(avcC[2] & 0x40).as("constraint_set1_flag").isNotZero();
    assertThat(avcC[3]).as("level_idc").isBetween(10, 52);
  }

  @Test
  void signalsBt709LimitedRange() {
    Mp4Boxes mp4 = new Mp4Boxes(clip);
    Box colr = mp4.find("moov/trak/mdia/minf/stbl/stsd/avc1/colr");

    assertThat(mp4.colourNclx(colr))
        .hasValueSatisfying(c -> assertThat(c).containsExactly(1, 1, 1, 0));
  }

  @Test
  void hasEveryFrameAndTheRightDuration() {
    Mp4Boxes mp4 = new Mp4Boxes(clip);
    Box mdhd = mp4.find("moov/trak/mdia/mdhd");
    Box mvhd = mp4.find("moov/mvhd");
    List<long[]> stts = mp4.timeToSample(mp4.find("moov/trak/mdia/minf/stbl/stts"));

    assertThat(mp4.sampleCount(mp4.find("moov/trak/mdia/minf/stbl/stsz"))).isEqualTo(FRAMES);
    // Exactly frames / fps in the track's timescale, and within a tick in the movie's.
    assertThat(mp4.duration(mdhd) * FPS).isEqualTo(FRAMES * mp4.timescale(mdhd));
    assertThat(mp4.duration(mvhd) / (double) mp4.timescale(mvhd))
        .isCloseTo(FRAMES / (double) FPS, within(1.0 / mp4.timescale(mvhd)));
    assertThat(stts).hasSize(1);
    assertThat(stts.get(0)[0]).isEqualTo(FRAMES);
    assertThat(stts.get(0)[1] * FPS).isEqualTo(mp4.timescale(mdhd));
    // An IDR every other frame (FfmpegMp4Writer.INTRA_PERIOD): samples 1, 3, ..., 15.
    assertThat(mp4.syncSamples(mp4.find("moov/trak/mdia/minf/stbl/stss")))
        .containsExactly(1L, 3L, 5L, 7L, 9L, 11L, 13L, 15L);
    assertThat(mp4.trackSize(mp4.find("moov/trak/tkhd"))).containsExactly(SIZE, SIZE);
  }

  @Test
  void decodesBackToTheFrames() throws IOException {
    Mp4Decoder.Decoded decoded = Mp4Decoder.decode(clip);

    assertThat(decoded.codec()).isEqualTo("h264");
    assertThat(decoded.pixelFormat()).isEqualTo("yuv420p");
    assertThat(decoded.width()).isEqualTo(SIZE);
    assertThat(decoded.height()).isEqualTo(SIZE);
    assertThat(decoded.frames()).hasSize(FRAMES);
    // Lossy, but close: a peak signal-to-noise ratio a viewer would call good.
    assertThat(psnr(decoded.frames(), moving)).isGreaterThan(28);
  }

  @Test
  void flatColoursKeepTheirColour() throws IOException {
    int[][] colours = {{220, 30, 40}, {30, 200, 60}, {40, 50, 210}, {128, 128, 128}};
    for (int[] c : colours) {
      byte[] rgb = SyntheticClips.flat(4, 32, 48, c[0], c[1], c[2]);
      byte[] mp4 = encoder.encode(RgbFrames.of(rgb, 4, 32, 48), 8);

      Mp4Decoder.Decoded decoded = Mp4Decoder.decode(mp4);

      assertThat(decoded.frames()).hasSize(4);
      double[] mean = meanColour(decoded.frames().get(3));
      assertThat(mean[0])
          .as("red of %s", java.util.Arrays.toString(c))
          .isCloseTo(c[0], within(3.0));
      assertThat(mean[1])
          .as("green of %s", java.util.Arrays.toString(c))
          .isCloseTo(c[1], within(3.0));
      assertThat(mean[2])
          .as("blue of %s", java.util.Arrays.toString(c))
          .isCloseTo(c[2], within(3.0));
    }
  }

  @Test
  void oddSizesArePaddedToEvenOnes() throws IOException {
    byte[] rgb = SyntheticClips.flat(3, 47, 63, 200, 40, 40);

    byte[] mp4 = encoder.encode(RgbFrames.of(rgb, 3, 47, 63), 8);

    Mp4Boxes boxes = new Mp4Boxes(mp4);
    assertThat(boxes.trackSize(boxes.find("moov/trak/tkhd"))).containsExactly(64, 48);
    Mp4Decoder.Decoded decoded = Mp4Decoder.decode(mp4);
    assertThat(decoded.width()).isEqualTo(64);
    assertThat(decoded.height()).isEqualTo(48);
    byte[] last = decoded.frames().get(2);
    int corner = (47 * 64 + 63) * 3; // the padding pixel repeats its neighbours
    assertThat(last[corner] & 0xff).isCloseTo(200, within(6));
  }

  @Test
  void fractionalFrameRatesKeepTheDuration() {
    byte[] mp4 =
        encoder.encode(RgbFrames.of(SyntheticClips.flat(10, 16, 16, 9, 9, 9), 10, 16, 16), 12.5);

    Mp4Boxes boxes = new Mp4Boxes(mp4);
    Box mdhd = boxes.find("moov/trak/mdia/mdhd");
    assertThat(boxes.duration(mdhd) * 25).isEqualTo(10 * 2 * boxes.timescale(mdhd)); // 0.8 s
    assertThat(boxes.sampleCount(boxes.find("moov/trak/mdia/minf/stbl/stsz"))).isEqualTo(10);
  }

  @Test
  void aSingleFrameIsAValidClip() {
    byte[] mp4 =
        encoder.encode(RgbFrames.of(SyntheticClips.flat(1, 16, 16, 1, 2, 3), 1, 16, 16), 24);

    Mp4Boxes boxes = new Mp4Boxes(mp4);
    assertThat(boxes.sampleCount(boxes.find("moov/trak/mdia/minf/stbl/stsz"))).isEqualTo(1);
  }

  @Test
  void rejectsBadFrameRatesAndSizes() {
    RgbFrames frames = RgbFrames.of(new byte[16 * 16 * 3], 1, 16, 16);
    for (double fps : new double[] {0, -8, Double.NaN, Double.POSITIVE_INFINITY, 241, 0.05}) {
      assertThatThrownBy(() -> encoder.encode(frames, fps))
          .as("fps %s", fps)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("fps must be between 0.1 and 240.0");
    }
    RgbFrames tooWide = RgbFrames.of(new byte[2 * 4098 * 3], 1, 2, 4098);
    assertThatThrownBy(() -> encoder.encode(tooWide, 8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("too large for H.264");
    assertThatThrownBy(() -> encoder.encode(null, 8)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void leavesNoTemporaryFilesAndReportsAMissingDirectory() throws IOException {
    try (Stream<Path> left = Files.list(temp)) {
      assertThat(left.filter(p -> p.getFileName().toString().startsWith("framecast-clip-")))
          .isEmpty();
    }
    FfmpegClipEncoder nowhere =
        new FfmpegClipEncoder(temp.resolve("missing"), FfmpegClipEncoder.DEFAULT_BITS_PER_PIXEL);
    RgbFrames frames = RgbFrames.of(new byte[16 * 16 * 3], 1, 16, 16);
    assertThatThrownBy(() -> nowhere.encode(frames, 8))
        .isInstanceOf(ClipEncodingException.class)
        .hasMessageContaining("cannot create a temporary file");
  }

  @Test
  void concurrentCallsAreIndependent() throws Exception {
    RgbFrames frames = RgbFrames.of(moving, FRAMES, SIZE, SIZE);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<byte[]>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        results.add(pool.submit(() -> encoder.encode(frames, FPS)));
      }
      for (Future<byte[]> result : results) {
        // OpenH264 on one thread is deterministic, so sharing the encoder changes nothing.
        assertThat(result.get(30, TimeUnit.SECONDS)).isEqualTo(clip);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * A saturated shape moving over black must not leave a copy of itself behind. With a keyframe
   * every two seconds OpenH264's background skip left one (up to 253 of 255, more than 5 pixels
   * from the shape) in 57 of these 400 frames; an IDR every other frame leaves none.
   */
  @Test
  void aMovingShapeOnBlackLeavesNoCopyBehind() throws IOException {
    int[][] colours = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}, {255, 255, 255}};
    int[][] paths = {
      {12, 32, 2, 0}, {52, 32, -2, 0}, {32, 12, 0, 2}, {32, 52, 0, -2}, {12, 12, 3, 3}
    };
    int radius = 8;
    List<String> copies = new ArrayList<>();
    for (int[] colour : colours) {
      for (int[] path : paths) {
        byte[] rgb = SyntheticClips.disc(FRAMES, SIZE, colour, radius, path);
        List<byte[]> decoded =
            Mp4Decoder.decode(encoder.encode(RgbFrames.of(rgb, FRAMES, SIZE, SIZE), FPS)).frames();
        for (int f = 0; f < FRAMES; f++) {
          double cx = path[0] + path[2] * f;
          double cy = path[1] + path[3] * f;
          byte[] frame = decoded.get(f);
          int brightest = 0;
          for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
              if (Math.hypot(x - cx, y - cy) > radius + 5) {
                int p = 3 * (y * SIZE + x);
                brightest =
                    Math.max(
                        brightest,
                        Math.max(
                            frame[p] & 0xff, Math.max(frame[p + 1] & 0xff, frame[p + 2] & 0xff)));
              }
            }
          }
          if (brightest > 64) {
            copies.add(
                Arrays.toString(colour)
                    + " "
                    + Arrays.toString(path)
                    + " frame "
                    + f
                    + ": "
                    + brightest);
          }
        }
      }
    }
    assertThat(copies).isEmpty();
  }

  private static double psnr(List<byte[]> decoded, byte[] original) {
    double squared = 0;
    int frameBytes = decoded.get(0).length;
    for (int f = 0; f < decoded.size(); f++) {
      byte[] frame = decoded.get(f);
      for (int i = 0; i < frameBytes; i++) {
        int d = (frame[i] & 0xff) - (original[f * frameBytes + i] & 0xff);
        squared += d * d;
      }
    }
    double mse = squared / ((double) decoded.size() * frameBytes);
    return 10 * Math.log10(255.0 * 255.0 / mse);
  }

  private static double[] meanColour(byte[] rgb) {
    double[] sum = new double[3];
    for (int i = 0; i < rgb.length; i++) {
      sum[i % 3] += rgb[i] & 0xff;
    }
    int pixels = rgb.length / 3;
    return new double[] {sum[0] / pixels, sum[1] / pixels, sum[2] / pixels};
  }
}
