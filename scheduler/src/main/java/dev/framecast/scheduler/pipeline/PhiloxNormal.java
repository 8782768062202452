package dev.framecast.scheduler.pipeline;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The initial noise of a job ("philox-normal"): standard normal floats from the counter-based
 * Philox4x32-10 generator keyed by the job's seed, through Box-Muller. Element i depends only on
 * the seed and i, never on which jobs share a batch or which node runs it, and StrictMath makes the
 * floats the same on every JVM and CPU: the same request and seed give the same noise.
 */
public final class PhiloxNormal {
  private static final int M0 = 0xD2511F53;
  private static final int M1 = 0xCD9E8D57;
  private static final int W0 = 0x9E3779B9;
  private static final int W1 = 0xBB67AE85;
  private static final double TWO_PI = 2 * Math.PI;
  private static final double INV_2_32 = 1.0 / 4294967296.0;

  private PhiloxNormal() {}

  /** {@code count} normals for the seed, as little-endian FP32 bytes: a job's initial noise. */
  public static byte[] noise(long seed, int count) {
    return noise(seed, 0, count);
  }

  /**
   * {@code count} normals of one stream of the seed (counter word 2 = the stream's low 32 bits):
   * stream 0 is a job's initial noise, stream i + 1 the fresh noise the re-noising sampler's DiT
   * graph draws after step i (triton-models/training/sampler.py, the same function in ONNX).
   */
  public static byte[] noise(long seed, long stream, int count) {
    ByteBuffer out = ByteBuffer.allocate(count * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    int[] block = new int[4];
    for (int i = 0; i < count; i += 4) {
      philox(seed, i / 4, (int) stream, block);
      double[] normals = boxMuller(block);
      for (int j = 0; j < 4 && i + j < count; j++) {
        out.putFloat((float) normals[j]);
      }
    }
    return out.array();
  }

  /** Philox4x32 with 10 rounds on counter (index, 0, stream, 0) and key (seed low, seed high). */
  static void philox(long seed, long index, int stream, int[] out) {
    int c0 = (int) index;
    int c1 = (int) (index >>> 32);
    int c2 = stream;
    int c3 = 0;
    int k0 = (int) seed;
    int k1 = (int) (seed >>> 32);
    for (int round = 0; round < 10; round++) {
      long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
      long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
      int hi0 = (int) (p0 >>> 32);
      int lo0 = (int) p0;
      int hi1 = (int) (p1 >>> 32);
      int lo1 = (int) p1;
      c0 = hi1 ^ c1 ^ k0;
      c1 = lo1;
      c2 = hi0 ^ c3 ^ k1;
      c3 = lo0;
      k0 += W0;
      k1 += W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
  }

  private static double[] boxMuller(int[] bits) {
    double u0 = ((bits[0] & 0xFFFFFFFFL) + 0.5) * INV_2_32;
    double u1 = ((bits[1] & 0xFFFFFFFFL) + 0.5) * INV_2_32;
    double u2 = ((bits[2] & 0xFFFFFFFFL) + 0.5) * INV_2_32;
    double u3 = ((bits[3] & 0xFFFFFFFFL) + 0.5) * INV_2_32;
    double r0 = StrictMath.sqrt(-2 * StrictMath.log(u0));
    double r1 = StrictMath.sqrt(-2 * StrictMath.log(u2));
    return new double[] {
      r0 * StrictMath.cos(TWO_PI * u1),
      r0 * StrictMath.sin(TWO_PI * u1),
      r1 * StrictMath.cos(TWO_PI * u3),
      r1 * StrictMath.sin(TWO_PI * u3)
    };
  }
}
