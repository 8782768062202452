package dev.framecast.node.tensor;

import java.util.Arrays;

/**
 * A model input or output as its config declares it: name, datatype and dims without the batch
 * dimension (-1 = any size).
 */
public record TensorSpec(String name, TritonType type, long[] dims) {
  public TensorSpec {
    dims = dims.clone();
  }

  @Override
  public long[] dims() {
    return dims.clone();
  }

  /** The full shape pattern a request must match: the batch dimension first when batching. */
  public long[] fullShape(boolean batched) {
    return batched ? Shapes.withBatch(-1, dims) : dims.clone();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof TensorSpec that
        && name.equals(that.name)
        && type == that.type
        && Arrays.equals(dims, that.dims);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * name.hashCode() + type.hashCode()) + Arrays.hashCode(dims);
  }

  @Override
  public String toString() {
    return name + ":" + type.protocolName() + Shapes.format(dims);
  }
}
