package dev.framecast.node.infer;

import com.google.protobuf.ByteString;
import dev.framecast.inference.v2.InferParameter;
import dev.framecast.inference.v2.InferTensorContents;
import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.inference.v2.ModelInferRequest.InferInputTensor;
import dev.framecast.inference.v2.ModelInferRequest.InferRequestedOutputTensor;
import dev.framecast.node.tensor.Shapes;
import dev.framecast.node.tensor.TensorSpec;
import dev.framecast.node.tensor.TritonType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validates a {@link ModelInferRequest} against a model's signature and decodes its tensors, with
 * Triton's checks in Triton's order (request metadata, tensor data, then the model: outputs, input
 * count, names, batch, datatypes, shapes, byte sizes), so the first error is the one Triton gives.
 */
public final class RequestDecoder {
  private static final String ALLOWED_TRITON_PARAMETER = "triton_enable_empty_final_response";

  private RequestDecoder() {}

  public static DecodedRequest decode(ModelSignature model, ModelInferRequest request) {
    String id = request.getId();
    long timeoutMicros = checkParameters(request.getParametersMap());
    checkDuplicates(id, request);
    List<Object> data = tensorData(model, request);
    List<String> outputs = requestedOutputs(model, request);
    checkInputNames(id, model, request);
    long batch = batchSize(id, model, request);

    Map<String, InputTensor> byName = new LinkedHashMap<>();
    for (int i = 0; i < request.getInputsCount(); i++) {
      InferInputTensor input = request.getInputs(i);
      TensorSpec spec = model.inputs().get(input.getName());
      long[] shape = Shapes.toArray(input.getShapeList());
      checkTypeAndShape(id, model, spec, input.getDatatype(), shape);
      byName.put(input.getName(), tensor(id, model, spec, shape, data.get(i)));
    }
    Map<String, InputTensor> ordered = new LinkedHashMap<>();
    model.inputs().keySet().forEach(name -> ordered.put(name, byName.get(name)));
    return new DecodedRequest(id, (int) batch, ordered, outputs, timeoutMicros);
  }

  /** Triton's reserved and special request parameters; returns the timeout in microseconds. */
  private static long checkParameters(Map<String, InferParameter> params) {
    long timeout = 0;
    for (Map.Entry<String, InferParameter> entry : params.entrySet()) {
      String key = entry.getKey();
      InferParameter value = entry.getValue();
      switch (key) {
        case "sequence_id" -> {
          if (!value.hasInt64Param() && !value.hasStringParam()) {
            throw Errors.parameterType(key, "int64_param or string_param");
          }
        }
        case "sequence_start", "sequence_end", ALLOWED_TRITON_PARAMETER -> {
          if (!value.hasBoolParam()) {
            throw Errors.parameterType(key, "bool_param");
          }
        }
        case "priority" -> {
          if (value.hasInt64Param()) {
            if (value.getInt64Param() < 0) {
              throw Errors.negativePriority();
            }
          } else if (!value.hasUint64Param()) {
            throw Errors.parameterType(key, "int64_param or uint64_param");
          }
        }
        case "timeout" -> {
          if (!value.hasInt64Param()) {
            throw Errors.parameterType(key, "int64_param");
          }
          timeout = Math.max(0, value.getInt64Param());
        }
        default -> {
          if (key.startsWith("triton_")) {
            throw Errors.reservedParameter();
          }
          if (!value.hasInt64Param() && !value.hasBoolParam() && !value.hasStringParam()) {
            throw Errors.parameterType(key, "int64_param, bool_param, or string_param");
          }
        }
      }
    }
    return timeout;
  }

  private static void checkDuplicates(String id, ModelInferRequest request) {
    Set<String> inputs = new LinkedHashSet<>();
    for (InferInputTensor input : request.getInputsList()) {
      if (!inputs.add(input.getName())) {
        throw Errors.duplicateInput(id, input.getName());
      }
    }
    Set<String> outputs = new LinkedHashSet<>();
    for (InferRequestedOutputTensor output : request.getOutputsList()) {
      if (!outputs.add(output.getName())) {
        throw Errors.duplicateOutput(id, output.getName());
      }
    }
  }

  /**
   * Each input's data, index-aligned with the request's inputs: a ByteString (raw) or the typed
   * contents. Extra raw_input_contents entries are ignored, as in Triton.
   */
  private static List<Object> tensorData(ModelSignature model, ModelInferRequest request) {
    boolean raw = request.getRawInputContentsCount() > 0;
    List<Object> data = new ArrayList<>();
    for (int i = 0; i < request.getInputsCount(); i++) {
      InferInputTensor input = request.getInputs(i);
      if (raw) {
        if (input.hasContents()) {
          throw Errors.mixedContents(input.getName(), model.model());
        }
        if (i >= request.getRawInputContentsCount()) {
          throw Errors.missingData(input.getName(), model.model());
        }
        data.add(request.getRawInputContents(i));
      } else {
        if (!input.hasContents()) {
          throw Errors.missingData(input.getName(), model.model());
        }
        checkContentsField(model, input);
        data.add(input.getContents());
      }
    }
    return data;
  }

  /** Exactly one typed field may be set, and it must be the one of the input's datatype. */
  private static void checkContentsField(ModelSignature model, InferInputTensor input) {
    InferTensorContents c = input.getContents();
    List<String> present = new ArrayList<>();
    if (c.getBoolContentsCount() > 0) present.add("BOOL");
    if (c.getIntContentsCount() > 0) present.add("INT32");
    if (c.getInt64ContentsCount() > 0) present.add("INT64");
    if (c.getUintContentsCount() > 0) present.add("UINT32");
    if (c.getUint64ContentsCount() > 0) present.add("UINT64");
    if (c.getFp32ContentsCount() > 0) present.add("FP32");
    if (c.getFp64ContentsCount() > 0) present.add("FP64");
    if (c.getBytesContentsCount() > 0) present.add("BYTES");
    if (present.size() > 1) {
      throw Errors.contentsAlreadySupplied(input.getName(), model.model());
    }
    if (present.isEmpty()) {
      return; // zero elements: the byte-size check reports it
    }
    String field = present.get(0);
    if (!field.equals(contentsField(input.getDatatype()))) {
      throw Errors.wrongContentsType(input.getName(), model.model(), field, input.getDatatype());
    }
  }

  /** The typed-contents field that carries a datatype (null: none does, e.g. FP16). */
  private static String contentsField(String datatype) {
    return switch (datatype) {
      case "BOOL" -> "BOOL";
      case "INT8", "INT16", "INT32" -> "INT32";
      case "INT64" -> "INT64";
      case "UINT8", "UINT16", "UINT32" -> "UINT32";
      case "UINT64" -> "UINT64";
      case "FP32" -> "FP32";
      case "FP64" -> "FP64";
      case "BYTES" -> "BYTES";
      default -> null;
    };
  }

  private static List<String> requestedOutputs(ModelSignature model, ModelInferRequest request) {
    List<String> names = new ArrayList<>();
    for (InferRequestedOutputTensor output : request.getOutputsList()) {
      if (!model.outputs().containsKey(output.getName())) {
        throw Errors.unexpectedOutput(output.getName(), model.model());
      }
      names.add(output.getName());
    }
    if (names.isEmpty()) {
      names.addAll(model.outputs().keySet());
    }
    return names;
  }

  private static void checkInputNames(String id, ModelSignature model, ModelInferRequest request) {
    List<String> got = new ArrayList<>();
    request.getInputsList().forEach(i -> got.add(i.getName()));
    if (got.size() != model.inputs().size()) {
      List<String> missing = new ArrayList<>(model.inputs().keySet());
      missing.removeAll(got);
      throw Errors.inputCount(id, model.inputs().size(), got, missing, model.model());
    }
    for (String name : got) {
      if (!model.inputs().containsKey(name)) {
        throw Errors.unexpectedInput(name, model.model());
      }
    }
  }

  /** The request's batch size (1 for models without batching). */
  private static long batchSize(String id, ModelSignature model, ModelInferRequest request) {
    if (!model.batched()) {
      return 1;
    }
    long batch = -1;
    for (InferInputTensor input : request.getInputsList()) {
      if (input.getShapeCount() == 0) {
        throw Errors.noBatchDimension(id, input.getName(), model.model());
      }
      long rows = input.getShape(0);
      if (batch == -1) {
        batch = rows;
      } else if (rows != batch) {
        throw Errors.batchMismatch(id, input.getName(), model.model());
      }
    }
    // Triton lets batch 0 through to the backend; an empty batch can only fail there, so it is
    // refused here with the batch-size message.
    if (batch > model.maxBatchSize() || batch < 1) {
      throw Errors.batchTooLarge(id, model.maxBatchSize(), model.model());
    }
    return batch;
  }

  private static void checkTypeAndShape(
      String id, ModelSignature model, TensorSpec spec, String datatype, long[] shape) {
    if (!spec.type().protocolName().equals(datatype)) {
      throw Errors.dataType(id, spec.name(), datatype, spec.type().protocolName(), model.model());
    }
    long[] expected = spec.fullShape(model.batched());
    if (shape.length == expected.length) {
      for (long dim : shape) {
        if (dim == -1) {
          throw Errors.unspecifiedDimension(id, spec.name(), model.model(), shape);
        }
      }
    }
    if (!Shapes.matches(expected, shape) || Shapes.elementCount(shape) < 0) {
      throw Errors.shape(id, spec.name(), model.model(), expected, shape, model.batched());
    }
  }

  private static InputTensor tensor(
      String id, ModelSignature model, TensorSpec spec, long[] shape, Object data) {
    long count = Shapes.elementCount(shape);
    if (spec.type() == TritonType.BYTES) {
      String[] strings =
          data instanceof ByteString raw
              ? parseBytes(id, model, spec.name(), raw, count)
              : typedStrings(id, model, spec.name(), (InferTensorContents) data, count);
      return new InputTensor(spec, shape, null, strings);
    }
    long expected = count * spec.type().elementSize();
    if (data instanceof ByteString raw) {
      if (raw.size() != expected) {
        throw Errors.byteSize(id, spec.name(), model.model(), expected, raw.size());
      }
      // A view of the message's own bytes: the one copy happens when the batch tensor is built.
      return new InputTensor(
          spec, shape, raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN), null);
    }
    return new InputTensor(
        spec, shape, typedData(id, model, spec, (InferTensorContents) data, expected), null);
  }

  private static String[] parseBytes(
      String id, ModelSignature model, String name, ByteString bytes, long count) {
    ByteBuffer buffer = bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    List<String> elements = new ArrayList<>();
    while (buffer.remaining() > 0) {
      if (elements.size() == count) {
        throw Errors.tooManyStrings(id, name, model.model(), count + 1, count);
      }
      if (buffer.remaining() < 4) {
        throw Errors.incompleteStringLength(id, name, model.model(), buffer.remaining());
      }
      int length = buffer.getInt();
      if (length < 0 || length > buffer.remaining()) {
        throw Errors.truncatedString(id, name, model.model());
      }
      byte[] element = new byte[length];
      buffer.get(element);
      elements.add(new String(element, StandardCharsets.UTF_8));
    }
    if (elements.size() != count) {
      throw Errors.tooFewStrings(id, name, model.model(), count, elements.size());
    }
    return elements.toArray(String[]::new);
  }

  private static String[] typedStrings(
      String id, ModelSignature model, String name, InferTensorContents contents, long count) {
    if (contents.getBytesContentsCount() != count) {
      throw Errors.tooFewStrings(id, name, model.model(), count, contents.getBytesContentsCount());
    }
    return contents.getBytesContentsList().stream()
        .map(ByteString::toStringUtf8)
        .toArray(String[]::new);
  }

  /** Typed contents are converted straight into the direct buffer ONNX Runtime reads. */
  private static ByteBuffer typedData(
      String id, ModelSignature model, TensorSpec spec, InferTensorContents c, long expected) {
    TritonType type = spec.type();
    long actual = (long) typedCount(type, c) * type.elementSize();
    if (actual != expected) {
      throw Errors.byteSize(id, spec.name(), model.model(), expected, actual);
    }
    ByteBuffer data = ByteBuffer.allocateDirect((int) expected).order(ByteOrder.LITTLE_ENDIAN);
    switch (type) {
      case FP32 -> c.getFp32ContentsList().forEach(data::putFloat);
      case FP64 -> c.getFp64ContentsList().forEach(data::putDouble);
      case INT64 -> c.getInt64ContentsList().forEach(data::putLong);
      case INT32 -> c.getIntContentsList().forEach(data::putInt);
      case INT16 -> c.getIntContentsList().forEach(v -> data.putShort(v.shortValue()));
      case INT8 -> c.getIntContentsList().forEach(v -> data.put(v.byteValue()));
      case UINT8 -> c.getUintContentsList().forEach(v -> data.put(v.byteValue()));
      case BOOL -> c.getBoolContentsList().forEach(v -> data.put((byte) (v ? 1 : 0)));
      default -> throw new IllegalStateException("no typed contents for " + type);
    }
    data.flip();
    return data;
  }

  private static int typedCount(TritonType type, InferTensorContents c) {
    return switch (type) {
      case FP32 -> c.getFp32ContentsCount();
      case FP64 -> c.getFp64ContentsCount();
      case INT64 -> c.getInt64ContentsCount();
      case INT32, INT16, INT8 -> c.getIntContentsCount();
      case UINT8 -> c.getUintContentsCount();
      case BOOL -> c.getBoolContentsCount();
      default -> 0;
    };
  }
}
