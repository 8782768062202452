package dev.framecast.cli.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.framecast.api.v1.ClipChunk;
import org.junit.jupiter.api.Test;

class ClipAssemblerTest {
  private static ClipChunk chunk(long offset, String data, boolean last) {
    return ClipChunk.newBuilder()
        .setOffset(offset)
        .setData(ByteString.copyFromUtf8(data))
        .setLast(last)
        .setContentType("video/mp4")
        .build();
  }

  @Test
  void chunksInOrderMakeTheClip() {
    ClipAssembler clip = new ClipAssembler();
    clip.accept(chunk(0, "abc", false));
    clip.accept(chunk(3, "de", false));
    clip.accept(chunk(5, "f", true));

    assertThat(clip.finish(6)).isEqualTo("abcdef".getBytes());
    assertThat(clip.contentType()).isEqualTo("video/mp4");
  }

  @Test
  void aGapIsAnError() {
    ClipAssembler clip = new ClipAssembler();
    clip.accept(chunk(0, "abc", false));

    assertThatThrownBy(() -> clip.accept(chunk(4, "e", true)))
        .isInstanceOf(BrokenStreamException.class)
        .hasMessageContaining("offset 4 arrived after 3 bytes (a gap)");
  }

  @Test
  void outOfOrderOrRepeatedChunksAreErrors() {
    ClipAssembler clip = new ClipAssembler();
    clip.accept(chunk(0, "abc", false));
    clip.accept(chunk(3, "de", false));

    assertThatThrownBy(() -> clip.accept(chunk(3, "de", false)))
        .isInstanceOf(BrokenStreamException.class)
        .hasMessageContaining("out of order or repeated");
    assertThatThrownBy(() -> clip.accept(chunk(0, "abc", false)))
        .hasMessageContaining("offset 0 arrived after 5 bytes");
  }

  @Test
  void theSizeMustMatchTheCompletedEvent() {
    ClipAssembler clip = new ClipAssembler();
    clip.accept(chunk(0, "abc", true));

    assertThatThrownBy(() -> clip.finish(4))
        .isInstanceOf(BrokenStreamException.class)
        .hasMessageContaining("3 bytes but the server announced 4");
  }

  @Test
  void aClipWithoutItsFinalChunkIsIncomplete() {
    ClipAssembler clip = new ClipAssembler();
    clip.accept(chunk(0, "abc", false));

    assertThatThrownBy(() -> clip.finish(3)).hasMessageContaining("without a final chunk");
  }

  @Test
  void nothingMayFollowTheFinalChunk() {
    ClipAssembler clip = new ClipAssembler();
    clip.accept(chunk(0, "abc", true));

    assertThatThrownBy(() -> clip.accept(chunk(3, "d", true)))
        .hasMessageContaining("after the final chunk");
  }

  @Test
  void theSizeIsBounded() {
    ClipAssembler clip = new ClipAssembler(4);
    clip.accept(chunk(0, "abc", false));

    assertThatThrownBy(() -> clip.accept(chunk(3, "de", true)))
        .hasMessageContaining("larger than 4 bytes");
  }
}
