package dev.framecast.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class RgbFramesTest {
  @Test
  void wrapsTheBufferFromItsPositionWithoutMovingIt() {
    ByteBuffer buffer = ByteBuffer.allocate(4 + 2 * 2 * 3 * 3);
    buffer.position(4);

    RgbFrames frames = RgbFrames.of(buffer, 3, 2, 2);

    assertThat(buffer.position()).isEqualTo(4);
    assertThat(frames.frameBytes()).isEqualTo(12);
    assertThat(frames.frameOffset(2)).isEqualTo(24);
    assertThat(frames.data().remaining()).isEqualTo(36);
    assertThat(frames.data().isReadOnly()).isTrue();
  }

  @Test
  void rejectsWrongSizesAndEmptyClips() {
    assertThatThrownBy(() -> RgbFrames.of(new byte[47], 1, 4, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rgb has 47 bytes, expected 48 (1 frames x 4 x 4 x 3)");
    assertThatThrownBy(() -> RgbFrames.of(new byte[0], 0, 4, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("frame count must be positive, got 0");
    assertThatThrownBy(() -> RgbFrames.of(new byte[0], 1, 0, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("frame size must be positive");
    assertThatThrownBy(() -> RgbFrames.of((byte[]) null, 1, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RgbFrames.of(new byte[48], 1, 4, 4).frameOffset(1))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void sizesThatOverflowAnIntAreRejectedNotWrapped() {
    assertThatThrownBy(() -> RgbFrames.of(new byte[12], 65_536, 65_536, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected 12884901888");
  }
}
