package dev.framecast.node.infer;

import dev.framecast.node.tensor.Shapes;
import dev.framecast.node.tensor.TensorSpec;
import java.nio.ByteBuffer;

/**
 * One validated input of one request. Fixed-size types carry little-endian bytes in {@code data}
 * (the gRPC message's own buffer for raw inputs: no copy yet); BYTES carries its elements in {@code
 * strings}.
 */
public record InputTensor(TensorSpec spec, long[] shape, ByteBuffer data, String[] strings) {

  public long elementCount() {
    return Shapes.elementCount(shape);
  }

  /** Bytes of one batch row (fixed-size types). */
  public long rowBytes() {
    return data.remaining() / Math.max(1, shape[0]);
  }
}
