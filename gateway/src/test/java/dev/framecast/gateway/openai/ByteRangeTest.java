package dev.framecast.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteRangeTest {
  @Test
  void takesOneRangeOfEachForm() {
    assertThat(ByteRange.parse("bytes=0-7", 100)).contains(new ByteRange(0, 8));
    assertThat(ByteRange.parse("bytes=90-", 100)).contains(new ByteRange(90, 10));
    assertThat(ByteRange.parse("bytes=90-1000", 100)).contains(new ByteRange(90, 10));
    assertThat(ByteRange.parse("bytes=-10", 100)).contains(new ByteRange(90, 10));
    assertThat(ByteRange.parse("bytes=-1000", 100)).contains(new ByteRange(0, 100));
    assertThat(ByteRange.parse("Bytes=5-5", 100)).contains(new ByteRange(5, 1));
    assertThat(new ByteRange(90, 10).contentRange(100)).isEqualTo("bytes 90-99/100");
  }

  @Test
  void ignoresWhatItDoesNotTake() {
    assertThat(ByteRange.parse(null, 100)).isEmpty();
    assertThat(ByteRange.parse("items=0-1", 100)).isEmpty();
    assertThat(ByteRange.parse("bytes=0-1,5-6", 100)).isEmpty();
    assertThat(ByteRange.parse("bytes=7-3", 100)).isEmpty();
    assertThat(ByteRange.parse("bytes=a-3", 100)).isEmpty();
    assertThat(ByteRange.parse("bytes=+1-3", 100)).isEmpty();
    assertThat(ByteRange.parse("bytes=", 100)).isEmpty();
  }

  @Test
  void refusesRangesPastTheEnd() {
    assertThatThrownBy(() -> ByteRange.parse("bytes=100-", 100))
        .isInstanceOf(ByteRange.NotSatisfiable.class);
    assertThatThrownBy(() -> ByteRange.parse("bytes=-0", 100))
        .isInstanceOf(ByteRange.NotSatisfiable.class);
    assertThatThrownBy(() -> ByteRange.parse("bytes=0-", 0))
        .isInstanceOf(ByteRange.NotSatisfiable.class);
    assertThatThrownBy(() -> ByteRange.parse("bytes=99999999999999999999-", 100))
        .isInstanceOf(ByteRange.NotSatisfiable.class);
  }
}
