package dev.framecast.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ContactSheetTest {
  private static final int GAP_RGB = 0x202020;

  @Test
  void laysFramesOutInAGridWithGaps() throws IOException {
    // Five 6x8 frames, each one flat colour (10, 20, 30 + frame), three columns: two rows.
    RgbFrames frames = numberedFrames(5, 6, 8);

    BufferedImage sheet = read(new ContactSheet(3).render(frames));

    assertThat(sheet.getWidth()).isEqualTo(3 * 8 + 2 * ContactSheet.DEFAULT_GAP);
    assertThat(sheet.getHeight()).isEqualTo(2 * 6 + ContactSheet.DEFAULT_GAP);
    assertThat(rgb(sheet, 0, 0)).isEqualTo(colour(0));
    assertThat(rgb(sheet, 7, 5)).isEqualTo(colour(0));
    assertThat(rgb(sheet, 8, 0)).as("gap").isEqualTo(GAP_RGB);
    assertThat(rgb(sheet, 10, 0)).isEqualTo(colour(1));
    assertThat(rgb(sheet, 20, 0)).isEqualTo(colour(2));
    assertThat(rgb(sheet, 0, 6)).as("gap between rows").isEqualTo(GAP_RGB);
    assertThat(rgb(sheet, 0, 8)).isEqualTo(colour(3));
    assertThat(rgb(sheet, 10, 13)).isEqualTo(colour(4));
    assertThat(rgb(sheet, 25, 13)).as("empty cell").isEqualTo(GAP_RGB);
  }

  @Test
  void fewFramesMakeOneRow() throws IOException {
    BufferedImage sheet = read(new ContactSheet(8).render(numberedFrames(2, 4, 4)));

    assertThat(sheet.getWidth()).isEqualTo(2 * 4 + 2);
    assertThat(sheet.getHeight()).isEqualTo(4);
  }

  @Test
  void longClipsAreSampledEvenlyAndFramesCanShrink() throws IOException {
    RgbFrames frames = numberedFrames(121, 8, 8);
    ContactSheet contactSheet = new ContactSheet(4, 1, 8, 2);

    ContactSheet.Layout layout = contactSheet.layout(frames);
    BufferedImage sheet = read(contactSheet.render(frames));

    assertThat(layout.frameIndices()).containsExactly(0, 17, 34, 51, 68, 85, 102, 120);
    assertThat(layout.tileWidth()).isEqualTo(4);
    assertThat(sheet.getWidth()).isEqualTo(4 * 4 + 3).isEqualTo(layout.width());
    assertThat(sheet.getHeight()).isEqualTo(2 * 4 + 1).isEqualTo(layout.height());
    assertThat(rgb(sheet, 5, 0)).isEqualTo(colour(17));
    assertThat(rgb(sheet, 15, 5)).isEqualTo(colour(120));
  }

  @Test
  void rejectsBadSettingsAndHugeSheets() {
    assertThatThrownBy(() -> new ContactSheet(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ContactSheet(2, -1, 4, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ContactSheet(2, 2, 0, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ContactSheet(2, 2, 4, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ContactSheet(2, 2, 4, 16).layout(numberedFrames(1, 8, 8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("smaller than the downscale factor");
    RgbFrames wide = RgbFrames.of(new byte[4 * 1 * 5000 * 3], 4, 1, 5000);
    assertThatThrownBy(() -> new ContactSheet(4).layout(wide))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("too large");
  }

  private static RgbFrames numberedFrames(int count, int height, int width) {
    byte[] rgb = new byte[count * height * width * 3];
    for (int f = 0; f < count; f++) {
      for (int p = 0; p < height * width; p++) {
        int i = (f * height * width + p) * 3;
        rgb[i] = 10;
        rgb[i + 1] = 20;
        rgb[i + 2] = (byte) (30 + f);
      }
    }
    return RgbFrames.of(rgb, count, height, width);
  }

  private static int colour(int frame) {
    return 10 << 16 | 20 << 8 | (30 + frame);
  }

  private static BufferedImage read(byte[] png) throws IOException {
    return ImageIO.read(new ByteArrayInputStream(png));
  }

  private static int rgb(BufferedImage image, int x, int y) {
    return image.getRGB(x, y) & 0xffffff;
  }
}
