package dev.framecast.scheduler.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PhiloxNormalTest {
  @Test
  void philoxMatchesRandom123KnownAnswers() {
    int[] out = new int[4];
    // Random123 kat_vectors: philox4x32 10 rounds, counter 0, key 0.
    PhiloxNormal.philox(0L, 0L, 0, out);
    assertThat(out).containsExactly(0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8);
  }

  @Test
  void noiseIsStandardNormalAndDependsOnlyOnSeedAndIndex() {
    float[] a = floats(PhiloxNormal.noise(7, 16384));
    float[] prefix = floats(PhiloxNormal.noise(7, 1001));
    float[] other = floats(PhiloxNormal.noise(8, 16384));
    assertThat(Arrays.copyOf(a, 1001)).containsExactly(prefix);
    assertThat(a).isNotEqualTo(other);
    double mean = 0;
    double square = 0;
    for (float v : a) {
      mean += v;
      square += v * v;
    }
    mean /= a.length;
    double variance = square / a.length - mean * mean;
    assertThat(mean).isCloseTo(0, within(0.03));
    assertThat(variance).isCloseTo(1, within(0.05));
  }

  @Test
  void streamZeroIsTheInitialNoiseAndEveryStreamDiffers() {
    assertThat(PhiloxNormal.noise(-99, 0, 4096)).isEqualTo(PhiloxNormal.noise(-99, 4096));
    float[] first = floats(PhiloxNormal.noise(-99, 1, 4096));
    assertThat(first).isNotEqualTo(floats(PhiloxNormal.noise(-99, 4096)));
    assertThat(first).isNotEqualTo(floats(PhiloxNormal.noise(-99, 2, 4096)));
    // The stream is the counter's third word: only its low 32 bits count, as in the DiT graph.
    assertThat(PhiloxNormal.noise(-99, 1L + (1L << 32), 64))
        .isEqualTo(PhiloxNormal.noise(-99, 1, 64));
  }

  static float[] floats(byte[] bytes) {
    float[] out = new float[bytes.length / 4];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }
}
