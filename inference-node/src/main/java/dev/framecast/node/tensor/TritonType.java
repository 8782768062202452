package dev.framecast.node.tensor;

import ai.onnxruntime.OnnxJavaType;
import dev.framecast.inference.v2.DataType;
import java.util.Optional;

/**
 * The tensor datatypes this node serves, by their protocol name ("FP32"), their config enum ({@code
 * TYPE_FP32}) and the ONNX Runtime Java type that carries them.
 */
public enum TritonType {
  BOOL("BOOL", 1, DataType.TYPE_BOOL, OnnxJavaType.BOOL),
  UINT8("UINT8", 1, DataType.TYPE_UINT8, OnnxJavaType.UINT8),
  INT8("INT8", 1, DataType.TYPE_INT8, OnnxJavaType.INT8),
  INT16("INT16", 2, DataType.TYPE_INT16, OnnxJavaType.INT16),
  INT32("INT32", 4, DataType.TYPE_INT32, OnnxJavaType.INT32),
  INT64("INT64", 8, DataType.TYPE_INT64, OnnxJavaType.INT64),
  FP16("FP16", 2, DataType.TYPE_FP16, OnnxJavaType.FLOAT16),
  BF16("BF16", 2, DataType.TYPE_BF16, OnnxJavaType.BFLOAT16),
  FP32("FP32", 4, DataType.TYPE_FP32, OnnxJavaType.FLOAT),
  FP64("FP64", 8, DataType.TYPE_FP64, OnnxJavaType.DOUBLE),
  /** Variable-length elements; on the wire each is a 4-byte little-endian length and its bytes. */
  BYTES("BYTES", -1, DataType.TYPE_STRING, OnnxJavaType.STRING);

  private final String protocolName;
  private final int elementSize;
  private final DataType configType;
  private final OnnxJavaType onnxType;

  TritonType(String protocolName, int elementSize, DataType configType, OnnxJavaType onnxType) {
    this.protocolName = protocolName;
    this.elementSize = elementSize;
    this.configType = configType;
    this.onnxType = onnxType;
  }

  /** The datatype string of the inference protocol ("FP32", "BYTES", ...). */
  public String protocolName() {
    return protocolName;
  }

  /** Bytes per element; -1 for BYTES. */
  public int elementSize() {
    return elementSize;
  }

  public boolean isFixedSize() {
    return elementSize > 0;
  }

  public DataType configType() {
    return configType;
  }

  public OnnxJavaType onnxType() {
    return onnxType;
  }

  public static Optional<TritonType> fromProtocol(String name) {
    for (TritonType type : values()) {
      if (type.protocolName.equals(name)) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }

  public static Optional<TritonType> fromConfig(DataType type) {
    for (TritonType value : values()) {
      if (value.configType == type) {
        return Optional.of(value);
      }
    }
    return Optional.empty();
  }

  /** Triton's config-to-protocol name ("TYPE_FP32" -> "FP32"), also for types we cannot serve. */
  public static String protocolName(DataType type) {
    return fromConfig(type)
        .map(TritonType::protocolName)
        .orElseGet(() -> type.name().startsWith("TYPE_") ? type.name().substring(5) : type.name());
  }
}
