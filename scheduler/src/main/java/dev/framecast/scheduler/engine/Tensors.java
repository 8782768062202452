package dev.framecast.scheduler.engine;

import com.google.protobuf.ByteString;
import dev.framecast.inference.v2.ModelInferRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Assembling request tensors without copying: each job's tensors are ByteStrings and a batch is
 * their concatenation (a rope, no copy); a response's per-job slices are substrings (views).
 */
final class Tensors {
  private Tensors() {}

  static ModelInferRequest.InferInputTensor input(String name, String datatype, long... shape) {
    ModelInferRequest.InferInputTensor.Builder input =
        ModelInferRequest.InferInputTensor.newBuilder().setName(name).setDatatype(datatype);
    for (long dim : shape) {
      input.addShape(dim);
    }
    return input.build();
  }

  /** An output the request asks for by name, as Triton's clients do. */
  static ModelInferRequest.InferRequestedOutputTensor output(String name) {
    return ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(name).build();
  }

  /** Concatenation in O(parts), not O(bytes): protobuf builds a balanced rope of the parts. */
  static ByteString concat(List<ByteString> parts) {
    return ByteString.copyFrom(parts);
  }

  static ByteString floats(float[] values) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      buffer.putFloat(v);
    }
    return ByteString.copyFrom(buffer.array());
  }

  static ByteString longs(long[] values) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      buffer.putLong(v);
    }
    return ByteString.copyFrom(buffer.array());
  }

  /** The i-th of n equal slices of a batched output. */
  static ByteString slice(ByteString all, int index, int count) {
    int size = all.size() / count;
    return all.substring(index * size, (index + 1) * size);
  }
}
