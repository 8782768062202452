package dev.framecast.scheduler.engine;

import com.google.protobuf.ByteString;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.inference.v2.ModelInferResponse.InferOutputTensor;
import dev.framecast.scheduler.pipeline.ModelContract;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A response's outputs, matched by name ({@code outputs[i].name} names {@code
 * raw_output_contents[i]}) and checked against what the request asked for. Never by position:
 * Triton's ONNX Runtime backend lists outputs sorted by name, whatever order the config or the
 * request gives, and other backends have their own orders.
 */
final class Outputs {
  private Outputs() {}

  /** An output the scheduler reads: its name, datatype and full shape (batch first). */
  record Expected(String name, String datatype, long[] shape) {
    static Expected of(ModelContract.Tensor tensor, int rows, long any) {
      return new Expected(tensor.name(), tensor.datatype(), tensor.shape(rows, any));
    }

    @Override
    public String toString() {
      return name + " " + datatype + " " + Arrays.toString(shape);
    }
  }

  /**
   * A response that lacks an output the request asked for, or carries one of another datatype,
   * shape or size. The node answered, so retrying elsewhere is not the cure: the batch fails.
   */
  static final class MalformedResponseException extends RuntimeException {
    MalformedResponseException(String message) {
      super(message);
    }
  }

  /**
   * The contents of each expected output, by name.
   *
   * @throws MalformedResponseException naming the model, the output and what was expected
   */
  static Map<String, ByteString> read(
      String model, ModelInferResponse response, List<Expected> expected) {
    String who = "model '" + model + "'";
    if (response.getRawOutputContentsCount() != response.getOutputsCount()) {
      throw new MalformedResponseException(
          who
              + " answered "
              + response.getOutputsCount()
              + " output(s) with "
              + response.getRawOutputContentsCount()
              + " raw_output_contents; expected one each (binary tensors)");
    }
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < response.getOutputsCount(); i++) {
      if (index.put(response.getOutputs(i).getName(), i) != null) {
        throw new MalformedResponseException(
            who + " answered output '" + response.getOutputs(i).getName() + "' twice");
      }
    }
    Map<String, ByteString> contents = new HashMap<>();
    for (Expected want : expected) {
      Integer i = index.get(want.name());
      if (i == null) {
        throw new MalformedResponseException(
            who
                + " answered without output '"
                + want.name()
                + "' (expected "
                + want
                + "; it sent "
                + index.keySet()
                + ")");
      }
      InferOutputTensor got = response.getOutputs(i);
      long[] shape = got.getShapeList().stream().mapToLong(Long::longValue).toArray();
      ByteString data = response.getRawOutputContents(i);
      if (!got.getDatatype().equals(want.datatype()) || !Arrays.equals(shape, want.shape())) {
        throw new MalformedResponseException(
            who
                + " output '"
                + want.name()
                + "' is "
                + got.getDatatype()
                + " "
                + Arrays.toString(shape)
                + ", expected "
                + want.datatype()
                + " "
                + Arrays.toString(want.shape()));
      }
      long bytes = elementBytes(want.datatype());
      for (long dim : shape) {
        bytes *= dim;
      }
      if (data.size() != bytes) {
        throw new MalformedResponseException(
            who
                + " output '"
                + want.name()
                + "' carries "
                + data.size()
                + " bytes, expected "
                + bytes
                + " for "
                + want);
      }
      contents.put(want.name(), data);
    }
    return contents;
  }

  private static long elementBytes(String datatype) {
    return switch (datatype) {
      case "UINT8", "INT8", "BOOL" -> 1;
      case "FP16", "BF16", "INT16", "UINT16" -> 2;
      case "FP32", "INT32", "UINT32" -> 4;
      case "FP64", "INT64", "UINT64" -> 8;
      default -> throw new IllegalArgumentException("no fixed size: " + datatype);
    };
  }

  /** The outputs a batch's request asked for, with the datatype and shape each must have. */
  static List<Expected> expected(Plan.Batch batch, ModelContract contract) {
    if (batch instanceof Plan.Encode encode) {
      ModelContract.Model model = contract.textEncoder();
      int rows = encode.prompts().size();
      return List.of(
          Expected.of(model.output(ModelContract.TEXT_EMBEDDINGS), rows, 0),
          Expected.of(model.output(ModelContract.ATTENTION_MASK), rows, 0));
    }
    int rows = batch.jobs().size();
    if (batch instanceof Plan.Preview preview) {
      return List.of(Expected.of(contract.vae().output(ModelContract.FRAMES), 1, preview.frames()));
    }
    if (batch instanceof Plan.Decode) {
      return List.of(
          Expected.of(
              contract.vae().output(ModelContract.FRAMES), rows, batch.pipeline().frameCount()));
    }
    List<Expected> expected = new java.util.ArrayList<>();
    for (var requested : batch.request().getOutputsList()) {
      expected.add(Expected.of(contract.dit().output(requested.getName()), rows, 0));
    }
    return expected;
  }
}
