package dev.framecast.models;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.framecast.inference.v2.DataType;
import dev.framecast.inference.v2.ModelConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What Triton's ONNX Runtime backend checks at load time: the graph's inputs and outputs are the
 * config's, with the same element types, and the config's dims behind a dynamic batch dimension.
 */
class OnnxModelsMatchConfigsTest {

  @ParameterizedTest
  @ValueSource(strings = {"text_encoder", "dit", "vae"})
  void graphInputsAndOutputsAgreeWithConfig(String model) throws Exception {
    ModelConfig config = ModelRepository.config(model);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = ModelRepository.open(env, model)) {
      Map<String, String> expectedInputs = new LinkedHashMap<>();
      config
          .getInputList()
          .forEach(
              i -> expectedInputs.put(i.getName(), describe(i.getDataType(), i.getDimsList())));
      Map<String, String> expectedOutputs = new LinkedHashMap<>();
      config
          .getOutputList()
          .forEach(
              o -> expectedOutputs.put(o.getName(), describe(o.getDataType(), o.getDimsList())));

      assertThat(describe(session.getInputInfo()))
          .containsExactlyInAnyOrderEntriesOf(expectedInputs);
      assertThat(describe(session.getOutputInfo()))
          .containsExactlyInAnyOrderEntriesOf(expectedOutputs);
    }
  }

  /** Config side: the batch dimension (max_batch_size > 0) is prepended as dynamic. */
  private static String describe(DataType type, List<Long> dims) {
    long[] shape =
        LongStream.concat(LongStream.of(-1), dims.stream().mapToLong(Long::longValue)).toArray();
    return ModelConfigsTest.tensor(type, shape);
  }

  /** ONNX side: symbolic dimensions are reported as -1 by ONNX Runtime. */
  private static Map<String, String> describe(Map<String, NodeInfo> infos) {
    Map<String, String> described = new LinkedHashMap<>();
    infos.forEach(
        (name, info) -> {
          TensorInfo tensor = (TensorInfo) info.getInfo();
          described.put(name, ModelConfigsTest.tensor(tritonType(tensor.type), tensor.getShape()));
        });
    return described;
  }

  private static DataType tritonType(OnnxJavaType type) {
    switch (type) {
      case FLOAT:
        return DataType.TYPE_FP32;
      case INT64:
        return DataType.TYPE_INT64;
      case UINT8:
        return DataType.TYPE_UINT8;
      default:
        throw new AssertionError("type outside the reference contract: " + type);
    }
  }
}
