package dev.framecast.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class PngEncoderTest {
  private final PngEncoder png = new PngEncoder();

  @Test
  void decodesBackToTheExactPixels() throws IOException {
    // Odd sizes and random pixels, so every filter type gets picked somewhere.
    byte[] rgb = randomRgb(37 * 23, 1);
    byte[] withPrefix = new byte[5 + rgb.length];
    System.arraycopy(rgb, 0, withPrefix, 5, rgb.length);

    byte[] encoded = png.encode(withPrefix, 5, 23, 37);

    assertPixels(encoded, rgb, 23, 37, 1);
    assertChunksAreWellFormed(encoded);
  }

  @Test
  void smoothImagesAlsoRoundTripAndCompress() throws IOException {
    byte[] rgb = SyntheticClips.moving(1, 64, 64);

    byte[] encoded = png.encode(rgb, 0, 64, 64);

    assertPixels(encoded, rgb, 64, 64, 1);
    assertThat(encoded.length).isLessThan(rgb.length);
  }

  @Test
  void encodesOneFrameOfADirectBuffer() throws IOException {
    byte[] all = randomRgb(3 * 8 * 8, 2);
    ByteBuffer direct = ByteBuffer.allocateDirect(all.length).put(all).flip();
    RgbFrames frames = RgbFrames.of(direct, 3, 8, 8);

    byte[] encoded = png.encodeFrame(frames, 2, 1);

    byte[] third = new byte[8 * 8 * 3];
    System.arraycopy(all, 2 * third.length, third, 0, third.length);
    assertPixels(encoded, third, 8, 8, 1);
    assertThat(direct.position()).isZero();
  }

  @Test
  void upscalesByRepeatingPixels() throws IOException {
    byte[] rgb = randomRgb(5 * 4, 3);

    byte[] encoded = png.encode(ByteBuffer.wrap(rgb), 0, 4, 5, 3);

    assertPixels(encoded, rgb, 4, 5, 3);
  }

  @Test
  void everyCompressionLevelDecodes() throws IOException {
    byte[] rgb = randomRgb(16 * 16, 4);
    for (int level = 0; level <= 9; level++) {
      assertPixels(new PngEncoder(level).encode(rgb, 0, 16, 16), rgb, 16, 16, 1);
    }
  }

  @Test
  void rejectsBadArguments() {
    byte[] rgb = new byte[4 * 4 * 3];
    assertThatThrownBy(() -> png.encode(rgb, 1, 4, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs bytes up to 49 but the buffer has 48");
    assertThatThrownBy(() -> png.encode(rgb, -1, 4, 4))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> png.encode(rgb, 0, 0, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must be positive");
    assertThatThrownBy(() -> png.encode(ByteBuffer.wrap(rgb), 0, 4, 4, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("scale must be 1 to 16");
    assertThatThrownBy(() -> png.encode(ByteBuffer.wrap(rgb), 0, 4, 4, 17))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> png.encode((byte[]) null, 0, 4, 4))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> png.encode(ByteBuffer.allocate(3), 0, 1, 20_000, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("too large");
    assertThatThrownBy(() -> new PngEncoder(10)).isInstanceOf(IllegalArgumentException.class);
  }

  static byte[] randomRgb(int pixels, long seed) {
    byte[] rgb = new byte[pixels * 3];
    new Random(seed).nextBytes(rgb);
    return rgb;
  }

  /**
   * Decodes with ImageIO and compares every pixel with {@code rgb} upscaled {@code scale} times.
   */
  static void assertPixels(byte[] png, byte[] rgb, int height, int width, int scale)
      throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    assertThat(image).as("ImageIO decodes it").isNotNull();
    assertThat(image.getWidth()).isEqualTo(width * scale);
    assertThat(image.getHeight()).isEqualTo(height * scale);
    for (int y = 0; y < height * scale; y++) {
      for (int x = 0; x < width * scale; x++) {
        int i = ((y / scale) * width + x / scale) * 3;
        int expected = (rgb[i] & 0xff) << 16 | (rgb[i + 1] & 0xff) << 8 | (rgb[i + 2] & 0xff);
        int actual = image.getRGB(x, y) & 0xffffff;
        if (actual != expected) {
          throw new AssertionError(
              String.format("pixel (%d, %d): %06x, expected %06x", x, y, actual, expected));
        }
      }
    }
  }

  /** Signature, then IHDR, IDAT and IEND chunks, each with a correct CRC. */
  private static void assertChunksAreWellFormed(byte[] png) {
    ByteBuffer b = ByteBuffer.wrap(png);
    assertThat(b.getLong()).isEqualTo(0x89504e470d0a1a0aL);
    StringBuilder types = new StringBuilder();
    while (b.hasRemaining()) {
      int length = b.getInt();
      int typeAt = b.position();
      types.append(new String(png, typeAt, 4, java.nio.charset.StandardCharsets.US_ASCII));
      types.append(' ');
      CRC32 crc = new CRC32();
      crc.update(png, typeAt, 4 + length);
      b.position(typeAt + 4 + length);
      assertThat(b.getInt()).isEqualTo((int) crc.getValue());
    }
    assertThat(types.toString().trim()).isEqualTo("IHDR IDAT IEND");
  }
}
