package dev.framecast.node.tensor;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** Shape arithmetic and Triton's formatting of shapes in error messages ("[-1,16]"). */
public final class Shapes {
  private Shapes() {}

  /** Number of elements, or -1 if any dimension is negative or the product overflows. */
  public static long elementCount(long[] shape) {
    long count = 1;
    for (long dim : shape) {
      if (dim < 0) {
        return -1;
      }
      try {
        count = Math.multiplyExact(count, dim);
      } catch (ArithmeticException overflow) {
        return -1;
      }
    }
    return count;
  }

  /** True when every dimension matches, -1 in the pattern matching any size. */
  public static boolean matches(long[] pattern, long[] shape) {
    if (pattern.length != shape.length) {
      return false;
    }
    for (int i = 0; i < pattern.length; i++) {
      if (pattern[i] != -1 && pattern[i] != shape[i]) {
        return false;
      }
    }
    return true;
  }

  public static long[] withBatch(long batch, long[] dims) {
    long[] shape = new long[dims.length + 1];
    shape[0] = batch;
    System.arraycopy(dims, 0, shape, 1, dims.length);
    return shape;
  }

  public static long[] withoutBatch(long[] shape) {
    return Arrays.copyOfRange(shape, 1, shape.length);
  }

  public static long[] toArray(List<Long> dims) {
    return dims.stream().mapToLong(Long::longValue).toArray();
  }

  /** Triton's format: "[1,16,16]". */
  public static String format(long[] shape) {
    return Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(",", "[", "]"));
  }
}
