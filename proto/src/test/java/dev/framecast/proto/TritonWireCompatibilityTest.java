package dev.framecast.proto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import dev.framecast.inference.v2.DataType;
import dev.framecast.inference.v2.GRPCInferenceServiceGrpc;
import dev.framecast.inference.v2.GrpcService;
import dev.framecast.inference.v2.InferBatchStatistics;
import dev.framecast.inference.v2.InferParameter;
import dev.framecast.inference.v2.InferResponseStatistics;
import dev.framecast.inference.v2.InferStatistics;
import dev.framecast.inference.v2.InferTensorContents;
import dev.framecast.inference.v2.MemoryUsage;
import dev.framecast.inference.v2.ModelConfig;
import dev.framecast.inference.v2.ModelConfigOuterClass;
import dev.framecast.inference.v2.ModelConfigResponse;
import dev.framecast.inference.v2.ModelDynamicBatching;
import dev.framecast.inference.v2.ModelEnsembling;
import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.inference.v2.ModelInput;
import dev.framecast.inference.v2.ModelInstanceGroup;
import dev.framecast.inference.v2.ModelMetadataResponse;
import dev.framecast.inference.v2.ModelMetrics;
import dev.framecast.inference.v2.ModelOutput;
import dev.framecast.inference.v2.ModelQueuePolicy;
import dev.framecast.inference.v2.ModelReadyRequest;
import dev.framecast.inference.v2.ModelSequenceBatching;
import dev.framecast.inference.v2.ModelStatistics;
import dev.framecast.inference.v2.ModelStatisticsResponse;
import dev.framecast.inference.v2.ModelStreamInferResponse;
import dev.framecast.inference.v2.ModelVersionPolicy;
import dev.framecast.inference.v2.ModelWarmup;
import dev.framecast.inference.v2.ServerLiveResponse;
import dev.framecast.inference.v2.ServerReadyResponse;
import dev.framecast.inference.v2.StatisticDuration;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServiceDescriptor;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Proves that the generated classes of {@code inference/grpc_service.proto} and {@code
 * inference/model_config.proto} speak Triton's wire format.
 *
 * <p>Every golden byte array below was written by hand from the field numbers and types of Triton's
 * published protos (triton-inference-server/common, protobuf/grpc_service.proto and
 * protobuf/model_config.proto): a tag is {@code field_number << 3 | wire_type} (0 varint, 1 64-bit,
 * 2 length-delimited, 5 32-bit), repeated scalars are packed, map entries are messages with key = 1
 * and value = 2. Each test decodes the golden bytes with our classes, checks the fields, checks
 * that nothing landed in the unknown-field set, and checks that our classes encode the same values
 * into exactly the golden bytes.
 */
class TritonWireCompatibilityTest {

  private static final HexFormat HEX = HexFormat.ofDelimiter(" ").withUpperCase();

  /** Joins hex fragments ("0A 03 64 69 74", ...) into bytes. */
  private static byte[] hex(String... fragments) {
    return HEX.parseHex(String.join(" ", fragments).trim().replaceAll("\\s+", " "));
  }

  private static void assertEncodesTo(Message message, byte[] golden) {
    assertThat(HEX.formatHex(message.toByteArray())).isEqualTo(HEX.formatHex(golden));
  }

  private static void assertNoUnknownFields(Message message) {
    assertThat(message.getUnknownFields().asMap()).isEmpty();
    for (Object value : message.getAllFields().values()) {
      if (value instanceof Message nested) {
        assertNoUnknownFields(nested);
      } else if (value instanceof Iterable<?> list) {
        for (Object element : list) {
          if (element instanceof Message nested) {
            assertNoUnknownFields(nested);
          }
        }
      }
    }
  }

  @Test
  void modelInferRequestWithTypedContentsMatchesTritonFieldNumbers()
      throws InvalidProtocolBufferException {
    byte[] golden =
        hex(
            "0A 03 64 69 74", // 1 model_name: "dit"
            "12 01 31", // 2 model_version: "1"
            "1A 05 72 65 71 2D 37", // 3 id: "req-7"
            "22 0A", // 4 parameters: map entry, 10 bytes
            "  0A 04 73 65 65 64", //   1 key: "seed"
            "  12 02 10 2A", //   2 value: InferParameter{2 int64_param: 42}
            "2A 28", // 5 inputs[0]: InferInputTensor, 40 bytes
            "  0A 08 74 69 6D 65 73 74 65 70", //   1 name: "timestep"
            "  12 04 46 50 33 32", //   2 datatype: "FP32"
            "  1A 01 02", //   3 shape: [2], packed int64
            "  22 07 0A 01 6B 12 02 08 01", //   4 parameters: {"k": {1 bool_param: true}}
            "  2A 0A 32 08 00 00 80 3F 00 00 00 3F", //   5 contents: {6 fp32_contents: [1.0, 0.5]}
            "32 07 0A 05 76 69 64 65 6F"); // 6 outputs[0]: {1 name: "video"}

    ModelInferRequest decoded = ModelInferRequest.parseFrom(golden);

    assertThat(decoded.getModelName()).isEqualTo("dit");
    assertThat(decoded.getModelVersion()).isEqualTo("1");
    assertThat(decoded.getId()).isEqualTo("req-7");
    assertThat(decoded.getParametersMap())
        .containsExactly(Map.entry("seed", InferParameter.newBuilder().setInt64Param(42).build()));
    assertThat(decoded.getInputsCount()).isEqualTo(1);
    ModelInferRequest.InferInputTensor input = decoded.getInputs(0);
    assertThat(input.getName()).isEqualTo("timestep");
    assertThat(input.getDatatype()).isEqualTo("FP32");
    assertThat(input.getShapeList()).containsExactly(2L);
    assertThat(input.getParametersMap().get("k").getBoolParam()).isTrue();
    assertThat(input.getContents().getFp32ContentsList()).containsExactly(1.0f, 0.5f);
    assertThat(decoded.getOutputsList())
        .extracting(ModelInferRequest.InferRequestedOutputTensor::getName)
        .containsExactly("video");
    assertThat(decoded.getRawInputContentsCount()).isZero();
    assertNoUnknownFields(decoded);

    ModelInferRequest built =
        ModelInferRequest.newBuilder()
            .setModelName("dit")
            .setModelVersion("1")
            .setId("req-7")
            .putParameters("seed", InferParameter.newBuilder().setInt64Param(42).build())
            .addInputs(
                ModelInferRequest.InferInputTensor.newBuilder()
                    .setName("timestep")
                    .setDatatype("FP32")
                    .addShape(2)
                    .putParameters("k", InferParameter.newBuilder().setBoolParam(true).build())
                    .setContents(
                        InferTensorContents.newBuilder()
                            .addFp32Contents(1.0f)
                            .addFp32Contents(0.5f)))
            .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("video"))
            .build();
    assertThat(built).isEqualTo(decoded);
    assertEncodesTo(built, golden);
  }

  @Test
  void modelInferRequestRawInputContentsIsFieldSevenAndUnpackedShapeAlsoDecodes()
      throws InvalidProtocolBufferException {
    byte[] golden =
        hex(
            "0A 03 64 69 74", // 1 model_name: "dit"
            "2A 12", // 5 inputs[0]: InferInputTensor, 18 bytes
            "  0A 06 6C 61 74 65 6E 74", //   1 name: "latent"
            "  12 04 46 50 31 36", //   2 datatype: "FP16"
            "  1A 02 01 02", //   3 shape: [1, 2], packed int64
            "3A 04 00 3C 00 38"); // 7 raw_input_contents[0]: FP16 1.0, 0.5 little-endian

    ModelInferRequest decoded = ModelInferRequest.parseFrom(golden);

    assertThat(decoded.getModelName()).isEqualTo("dit");
    assertThat(decoded.getInputs(0).getName()).isEqualTo("latent");
    assertThat(decoded.getInputs(0).getDatatype()).isEqualTo("FP16");
    assertThat(decoded.getInputs(0).getShapeList()).containsExactly(1L, 2L);
    assertThat(decoded.getInputs(0).hasContents()).isFalse();
    assertThat(decoded.getRawInputContentsList())
        .containsExactly(ByteString.copyFrom(hex("00 3C 00 38")));
    assertNoUnknownFields(decoded);

    ModelInferRequest built =
        ModelInferRequest.newBuilder()
            .setModelName("dit")
            .addInputs(
                ModelInferRequest.InferInputTensor.newBuilder()
                    .setName("latent")
                    .setDatatype("FP16")
                    .addShape(1)
                    .addShape(2))
            .addRawInputContents(ByteString.copyFrom(hex("00 3C 00 38")))
            .build();
    assertEncodesTo(built, golden);

    // Encoders may also write repeated int64 unpacked (one tag per element): same message.
    byte[] unpacked =
        hex(
            "0A 03 64 69 74", // 1 model_name: "dit"
            "2A 12", // 5 inputs[0], 18 bytes
            "  0A 06 6C 61 74 65 6E 74", //   1 name: "latent"
            "  12 04 46 50 31 36", //   2 datatype: "FP16"
            "  18 01 18 02", //   3 shape: 1, 2 as separate varints (wire type 0)
            "3A 04 00 3C 00 38"); // 7 raw_input_contents[0]
    assertThat(ModelInferRequest.parseFrom(unpacked)).isEqualTo(decoded);
  }

  @Test
  void modelInferResponseRawOutputContentsIsFieldSix() throws InvalidProtocolBufferException {
    byte[] golden =
        hex(
            "0A 03 64 69 74", // 1 model_name: "dit"
            "12 01 31", // 2 model_version: "1"
            "1A 05 72 65 71 2D 37", // 3 id: "req-7"
            "22 0B 0A 05 66 69 6E 61 6C 12 02 08 01", // 4 parameters: {"final": {1 bool_param}}
            "2A 11", // 5 outputs[0]: InferOutputTensor, 17 bytes
            "  0A 05 76 69 64 65 6F", //   1 name: "video"
            "  12 04 46 50 31 36", //   2 datatype: "FP16"
            "  1A 02 01 02", //   3 shape: [1, 2], packed int64
            "32 04 00 3C 00 38"); // 6 raw_output_contents[0]: FP16 1.0, 0.5

    ModelInferResponse decoded = ModelInferResponse.parseFrom(golden);

    assertThat(decoded.getModelName()).isEqualTo("dit");
    assertThat(decoded.getModelVersion()).isEqualTo("1");
    assertThat(decoded.getId()).isEqualTo("req-7");
    assertThat(decoded.getParametersMap().get("final").getBoolParam()).isTrue();
    assertThat(decoded.getOutputs(0).getName()).isEqualTo("video");
    assertThat(decoded.getOutputs(0).getDatatype()).isEqualTo("FP16");
    assertThat(decoded.getOutputs(0).getShapeList()).containsExactly(1L, 2L);
    assertThat(decoded.getRawOutputContentsList())
        .containsExactly(ByteString.copyFrom(hex("00 3C 00 38")));
    assertNoUnknownFields(decoded);

    ModelInferResponse built =
        ModelInferResponse.newBuilder()
            .setModelName("dit")
            .setModelVersion("1")
            .setId("req-7")
            .putParameters("final", InferParameter.newBuilder().setBoolParam(true).build())
            .addOutputs(
                ModelInferResponse.InferOutputTensor.newBuilder()
                    .setName("video")
                    .setDatatype("FP16")
                    .addShape(1)
                    .addShape(2))
            .addRawOutputContents(ByteString.copyFrom(hex("00 3C 00 38")))
            .build();
    assertEncodesTo(built, golden);
  }

  @Test
  void modelStreamInferResponseCarriesErrorMessageAsOneAndResponseAsTwo()
      throws InvalidProtocolBufferException {
    byte[] ok = hex("12 05 0A 03 64 69 74"); // 2 infer_response: {1 model_name: "dit"}
    byte[] failed = hex("0A 04 62 6F 6F 6D"); // 1 error_message: "boom"

    assertThat(ModelStreamInferResponse.parseFrom(ok).getInferResponse().getModelName())
        .isEqualTo("dit");
    assertThat(ModelStreamInferResponse.parseFrom(failed).getErrorMessage()).isEqualTo("boom");
    assertEncodesTo(
        ModelStreamInferResponse.newBuilder()
            .setInferResponse(ModelInferResponse.newBuilder().setModelName("dit"))
            .build(),
        ok);
    assertEncodesTo(ModelStreamInferResponse.newBuilder().setErrorMessage("boom").build(), failed);
  }

  @Test
  void inferParameterDecodesAllFiveUpstreamChoices() throws InvalidProtocolBufferException {
    byte[] bool = hex("08 01"); // 1 bool_param: true
    byte[] int64 = hex("10 FF FF FF FF FF FF FF FF FF 01"); // 2 int64_param: -1 (int64, not zigzag)
    byte[] string = hex("1A 01 76"); // 3 string_param: "v"
    byte[] dbl = hex("21 00 00 00 00 00 00 E0 3F"); // 4 double_param: 0.5 (64-bit)
    byte[] uint64 = hex("28 80 80 80 80 80 80 80 80 80 01"); // 5 uint64_param: 2^63

    assertThat(InferParameter.parseFrom(bool).getBoolParam()).isTrue();
    assertThat(InferParameter.parseFrom(int64).getInt64Param()).isEqualTo(-1L);
    assertThat(InferParameter.parseFrom(string).getStringParam()).isEqualTo("v");
    assertThat(InferParameter.parseFrom(dbl).getDoubleParam()).isEqualTo(0.5);
    assertThat(InferParameter.parseFrom(uint64).getUint64Param()).isEqualTo(Long.MIN_VALUE);
    assertThat(InferParameter.parseFrom(uint64).getParameterChoiceCase())
        .isEqualTo(InferParameter.ParameterChoiceCase.UINT64_PARAM);

    assertEncodesTo(InferParameter.newBuilder().setBoolParam(true).build(), bool);
    assertEncodesTo(InferParameter.newBuilder().setInt64Param(-1).build(), int64);
    assertEncodesTo(InferParameter.newBuilder().setStringParam("v").build(), string);
    assertEncodesTo(InferParameter.newBuilder().setDoubleParam(0.5).build(), dbl);
    assertEncodesTo(InferParameter.newBuilder().setUint64Param(Long.MIN_VALUE).build(), uint64);
  }

  @Test
  void modelConfigResponseDecodesTritonConfigBytes() throws InvalidProtocolBufferException {
    byte[] golden =
        hex(
            "0A 53", // 1 config: ModelConfig, 83 bytes
            "  0A 03 64 69 74", //   1 name: "dit"
            "  12 10 6F 6E 6E 78 72 75 6E 74 69 6D 65 5F 6F 6E 6E 78", //   2 platform
            "  20 08", //   4 max_batch_size: 8
            "  2A 12", //   5 input[0]: ModelInput, 18 bytes
            "    0A 01 78", //     1 name: "x"
            "    10 0B", //     2 data_type: TYPE_FP32 (11)
            "    22 0B FF FF FF FF FF FF FF FF FF 01 10", //     4 dims: [-1, 16], packed int64
            "  32 08", //   6 output[0]: ModelOutput, 8 bytes
            "    0A 01 79", //     1 name: "y"
            "    10 0A", //     2 data_type: TYPE_FP16 (10)
            "    1A 01 03", //     3 dims: [3], packed int64
            "  3A 04 10 02 20 02", //   7 instance_group[0]: {2 count: 2, 4 kind: KIND_CPU (2)}
            "  5A 06", //   11 dynamic_batching: 6 bytes
            "    0A 02 04 08", //     1 preferred_batch_size: [4, 8], packed int32
            "    10 64", //     2 max_queue_delay_microseconds: 100
            "  8A 01 0B 6F 6E 6E 78 72 75 6E 74 69 6D 65"); //   17 backend: "onnxruntime"

    ModelConfigResponse decoded = ModelConfigResponse.parseFrom(golden);
    ModelConfig config = decoded.getConfig();

    assertThat(config.getName()).isEqualTo("dit");
    assertThat(config.getPlatform()).isEqualTo("onnxruntime_onnx");
    assertThat(config.getBackend()).isEqualTo("onnxruntime");
    assertThat(config.getMaxBatchSize()).isEqualTo(8);
    assertThat(config.getInput(0).getName()).isEqualTo("x");
    assertThat(config.getInput(0).getDataType()).isEqualTo(DataType.TYPE_FP32);
    assertThat(config.getInput(0).getDimsList()).containsExactly(-1L, 16L);
    assertThat(config.getOutput(0).getName()).isEqualTo("y");
    assertThat(config.getOutput(0).getDataType()).isEqualTo(DataType.TYPE_FP16);
    assertThat(config.getOutput(0).getDimsList()).containsExactly(3L);
    assertThat(config.getInstanceGroup(0).getCount()).isEqualTo(2);
    assertThat(config.getInstanceGroup(0).getKind()).isEqualTo(ModelInstanceGroup.Kind.KIND_CPU);
    assertThat(config.getSchedulingChoiceCase())
        .isEqualTo(ModelConfig.SchedulingChoiceCase.DYNAMIC_BATCHING);
    assertThat(config.getDynamicBatching().getPreferredBatchSizeList()).containsExactly(4, 8);
    assertThat(config.getDynamicBatching().getMaxQueueDelayMicroseconds()).isEqualTo(100L);
    assertNoUnknownFields(decoded);

    ModelConfigResponse built =
        ModelConfigResponse.newBuilder()
            .setConfig(
                ModelConfig.newBuilder()
                    .setName("dit")
                    .setPlatform("onnxruntime_onnx")
                    .setBackend("onnxruntime")
                    .setMaxBatchSize(8)
                    .addInput(
                        ModelInput.newBuilder()
                            .setName("x")
                            .setDataType(DataType.TYPE_FP32)
                            .addDims(-1)
                            .addDims(16))
                    .addOutput(
                        ModelOutput.newBuilder()
                            .setName("y")
                            .setDataType(DataType.TYPE_FP16)
                            .addDims(3))
                    .addInstanceGroup(
                        ModelInstanceGroup.newBuilder()
                            .setCount(2)
                            .setKind(ModelInstanceGroup.Kind.KIND_CPU))
                    .setDynamicBatching(
                        ModelDynamicBatching.newBuilder()
                            .addPreferredBatchSize(4)
                            .addPreferredBatchSize(8)
                            .setMaxQueueDelayMicroseconds(100)))
            .build();
    assertEncodesTo(built, golden);
  }

  @Test
  void modelConfigNewerUpstreamFieldsUseTritonFieldNumbers() throws InvalidProtocolBufferException {
    byte[] golden =
        hex(
            "2A 02 48 01", // 5 input[0]: {9 is_non_linear_format_io: true}
            "7A 02 10 04", // 15 ensemble_scheduling: {2 max_inflight_requests: 4}
            "CA 01 08 6D 6F 64 65 6C 2E 70 79", // 25 runtime: "model.py"
            "D2 01 13", // 26 model_metrics: 19 bytes
            "  0A 11", //   1 metric_control[0]: 17 bytes
            "    0A 03 0A 01 66", //     1 metric_identifier: {1 family: "f"}
            "    12 0A 0A 08 00 00 00 00 00 00 F0 3F"); //     2 histogram_options: {1 buckets:
    // [1.0]}

    ModelConfig decoded = ModelConfig.parseFrom(golden);

    assertThat(decoded.getInput(0).getIsNonLinearFormatIo()).isTrue();
    assertThat(decoded.getEnsembleScheduling().getMaxInflightRequests()).isEqualTo(4);
    assertThat(decoded.getRuntime()).isEqualTo("model.py");
    ModelMetrics.MetricControl control = decoded.getModelMetrics().getMetricControl(0);
    assertThat(control.getMetricIdentifier().getFamily()).isEqualTo("f");
    assertThat(control.getHistogramOptions().getBucketsList()).containsExactly(1.0);
    assertNoUnknownFields(decoded);

    ModelConfig built =
        ModelConfig.newBuilder()
            .addInput(ModelInput.newBuilder().setIsNonLinearFormatIo(true))
            .setEnsembleScheduling(ModelEnsembling.newBuilder().setMaxInflightRequests(4))
            .setRuntime("model.py")
            .setModelMetrics(
                ModelMetrics.newBuilder()
                    .addMetricControl(
                        ModelMetrics.MetricControl.newBuilder()
                            .setMetricIdentifier(
                                ModelMetrics.MetricControl.MetricIdentifier.newBuilder()
                                    .setFamily("f"))
                            .setHistogramOptions(
                                ModelMetrics.MetricControl.HistogramOptions.newBuilder()
                                    .addBuckets(1.0))))
            .build();
    assertEncodesTo(built, golden);
  }

  @Test
  void modelMetadataResponseDecodesTensorMetadataWithVariableDimension()
      throws InvalidProtocolBufferException {
    byte[] golden =
        hex(
            "0A 03 64 69 74", // 1 name: "dit"
            "12 01 31", // 2 versions[0]: "1"
            "12 01 32", // 2 versions[1]: "2"
            "1A 10 6F 6E 6E 78 72 75 6E 74 69 6D 65 5F 6F 6E 6E 78", // 3 platform
            "22 16", // 4 inputs[0]: TensorMetadata, 22 bytes
            "  0A 01 78", //   1 name: "x"
            "  12 04 46 50 33 32", //   2 datatype: "FP32"
            "  1A 0B FF FF FF FF FF FF FF FF FF 01 10", //   3 shape: [-1, 16], packed int64
            "2A 0C", // 5 outputs[0]: TensorMetadata, 12 bytes
            "  0A 01 79", //   1 name: "y"
            "  12 04 46 50 31 36", //   2 datatype: "FP16"
            "  1A 01 03"); //   3 shape: [3]

    ModelMetadataResponse decoded = ModelMetadataResponse.parseFrom(golden);

    assertThat(decoded.getName()).isEqualTo("dit");
    assertThat(decoded.getVersionsList()).containsExactly("1", "2");
    assertThat(decoded.getPlatform()).isEqualTo("onnxruntime_onnx");
    assertThat(decoded.getInputs(0).getName()).isEqualTo("x");
    assertThat(decoded.getInputs(0).getDatatype()).isEqualTo("FP32");
    assertThat(decoded.getInputs(0).getShapeList()).containsExactly(-1L, 16L);
    assertThat(decoded.getOutputs(0).getName()).isEqualTo("y");
    assertThat(decoded.getOutputs(0).getDatatype()).isEqualTo("FP16");
    assertThat(decoded.getOutputs(0).getShapeList()).containsExactly(3L);
    assertNoUnknownFields(decoded);

    ModelMetadataResponse built =
        ModelMetadataResponse.newBuilder()
            .setName("dit")
            .addVersions("1")
            .addVersions("2")
            .setPlatform("onnxruntime_onnx")
            .addInputs(
                ModelMetadataResponse.TensorMetadata.newBuilder()
                    .setName("x")
                    .setDatatype("FP32")
                    .addShape(-1)
                    .addShape(16))
            .addOutputs(
                ModelMetadataResponse.TensorMetadata.newBuilder()
                    .setName("y")
                    .setDatatype("FP16")
                    .addShape(3))
            .build();
    assertEncodesTo(built, golden);
  }

  @Test
  void healthMessagesUseFieldOne() throws InvalidProtocolBufferException {
    byte[] ready = hex("08 01"); // 1 ready: true
    byte[] live = hex("08 01"); // 1 live: true
    byte[] modelReady = hex("0A 03 64 69 74", "12 01 31"); // 1 name: "dit", 2 version: "1"

    assertThat(ServerReadyResponse.parseFrom(ready).getReady()).isTrue();
    assertThat(ServerLiveResponse.parseFrom(live).getLive()).isTrue();
    ModelReadyRequest request = ModelReadyRequest.parseFrom(modelReady);
    assertThat(request.getName()).isEqualTo("dit");
    assertThat(request.getVersion()).isEqualTo("1");

    assertEncodesTo(ServerReadyResponse.newBuilder().setReady(true).build(), ready);
    assertEncodesTo(ServerLiveResponse.newBuilder().setLive(true).build(), live);
    assertEncodesTo(
        ModelReadyRequest.newBuilder().setName("dit").setVersion("1").build(), modelReady);
    assertThat(ServerReadyResponse.newBuilder().setReady(false).build().toByteArray()).isEmpty();
  }

  @Test
  void modelStatisticsResponseDecodesAllStatisticsMessages() throws InvalidProtocolBufferException {
    byte[] golden =
        hex(
            "0A 38", // 1 model_stats[0]: ModelStatistics, 56 bytes
            "  0A 03 64 69 74", //   1 name: "dit"
            "  12 01 31", //   2 version: "1"
            "  18 AC 02", //   3 last_inference: 300
            "  20 40", //   4 inference_count: 64
            "  28 01", //   5 execution_count: 1
            "  32 07 0A 05 08 40 10 E8 07", //   6 inference_stats: {1 success: {1 count 64, 2 ns
            // 1000}}
            "  3A 09", //   7 batch_stats[0]: InferBatchStatistics, 9 bytes
            "    08 08", //     1 batch_size: 8
            "    1A 05 08 08 10 F4 03", //     3 compute_infer: {1 count: 8, 2 ns: 500}
            "  42 08", //   8 memory_usage[0]: MemoryUsage, 8 bytes
            "    0A 03 47 50 55", //     1 type: "GPU"
            "    18 80 08", //     3 byte_size: 1024
            "  4A 09", //   9 response_stats: map entry, 9 bytes
            "    0A 01 30", //     1 key: "0"
            "    12 04 32 02 08 01"); //     2 value: InferResponseStatistics{6 cancel: {1 count:
    // 1}}

    ModelStatisticsResponse decoded = ModelStatisticsResponse.parseFrom(golden);
    ModelStatistics stats = decoded.getModelStats(0);

    assertThat(stats.getName()).isEqualTo("dit");
    assertThat(stats.getVersion()).isEqualTo("1");
    assertThat(stats.getLastInference()).isEqualTo(300L);
    assertThat(stats.getInferenceCount()).isEqualTo(64L);
    assertThat(stats.getExecutionCount()).isEqualTo(1L);
    assertThat(stats.getInferenceStats().getSuccess().getCount()).isEqualTo(64L);
    assertThat(stats.getInferenceStats().getSuccess().getNs()).isEqualTo(1000L);
    assertThat(stats.getBatchStats(0).getBatchSize()).isEqualTo(8L);
    assertThat(stats.getBatchStats(0).getComputeInfer().getNs()).isEqualTo(500L);
    assertThat(stats.getMemoryUsage(0).getType()).isEqualTo("GPU");
    assertThat(stats.getMemoryUsage(0).getByteSize()).isEqualTo(1024L);
    assertThat(stats.getResponseStatsMap().get("0").getCancel().getCount()).isEqualTo(1L);
    assertNoUnknownFields(decoded);

    ModelStatisticsResponse built =
        ModelStatisticsResponse.newBuilder()
            .addModelStats(
                ModelStatistics.newBuilder()
                    .setName("dit")
                    .setVersion("1")
                    .setLastInference(300)
                    .setInferenceCount(64)
                    .setExecutionCount(1)
                    .setInferenceStats(
                        InferStatistics.newBuilder()
                            .setSuccess(StatisticDuration.newBuilder().setCount(64).setNs(1000)))
                    .addBatchStats(
                        InferBatchStatistics.newBuilder()
                            .setBatchSize(8)
                            .setComputeInfer(StatisticDuration.newBuilder().setCount(8).setNs(500)))
                    .addMemoryUsage(MemoryUsage.newBuilder().setType("GPU").setByteSize(1024))
                    .putResponseStats(
                        "0",
                        InferResponseStatistics.newBuilder()
                            .setCancel(StatisticDuration.newBuilder().setCount(1))
                            .build()))
            .build();
    assertEncodesTo(built, golden);
  }

  @Test
  void grpcServiceAndMethodNamesMatchTriton() {
    assertThat(GRPCInferenceServiceGrpc.SERVICE_NAME).isEqualTo("inference.GRPCInferenceService");
    assertThat(GRPCInferenceServiceGrpc.getModelInferMethod().getFullMethodName())
        .isEqualTo("inference.GRPCInferenceService/ModelInfer");
    assertThat(GRPCInferenceServiceGrpc.getModelStreamInferMethod().getFullMethodName())
        .isEqualTo("inference.GRPCInferenceService/ModelStreamInfer");
    assertThat(GRPCInferenceServiceGrpc.getModelStreamInferMethod().getType())
        .isEqualTo(MethodType.BIDI_STREAMING);

    ServiceDescriptor service = GRPCInferenceServiceGrpc.getServiceDescriptor();
    Map<String, MethodType> methods =
        service.getMethods().stream()
            .collect(
                Collectors.toMap(
                    m -> m.getFullMethodName(), m -> m.getType(), (a, b) -> a, TreeMap::new));
    Map<String, MethodType> expected = new TreeMap<>();
    for (String rpc :
        new String[] {
          "ServerLive",
          "ServerReady",
          "ModelReady",
          "ServerMetadata",
          "ModelMetadata",
          "ModelInfer",
          "ModelConfig",
          "ModelStatistics",
          "RepositoryIndex",
          "RepositoryModelLoad",
          "RepositoryModelUnload",
          "SystemSharedMemoryStatus",
          "SystemSharedMemoryRegister",
          "SystemSharedMemoryUnregister",
          "CudaSharedMemoryStatus",
          "CudaSharedMemoryRegister",
          "CudaSharedMemoryUnregister",
          "TraceSetting",
          "LogSettings"
        }) {
      expected.put("inference.GRPCInferenceService/" + rpc, MethodType.UNARY);
    }
    expected.put("inference.GRPCInferenceService/ModelStreamInfer", MethodType.BIDI_STREAMING);
    assertThat(methods).isEqualTo(expected);
  }

  @Test
  void protoPackageAndMessageFullNamesAreTritons() {
    assertThat(GrpcService.getDescriptor().getPackage()).isEqualTo("inference");
    assertThat(ModelConfigOuterClass.getDescriptor().getPackage()).isEqualTo("inference");
    assertThat(ModelInferRequest.getDescriptor().getFullName())
        .isEqualTo("inference.ModelInferRequest");
    assertThat(ModelInferRequest.InferInputTensor.getDescriptor().getFullName())
        .isEqualTo("inference.ModelInferRequest.InferInputTensor");
    assertThat(ModelConfig.getDescriptor().getFullName()).isEqualTo("inference.ModelConfig");
    assertThat(DataType.getDescriptor().getFullName()).isEqualTo("inference.DataType");
    assertThat(DataType.TYPE_FP32.getNumber()).isEqualTo(11);
    assertThat(DataType.TYPE_STRING.getNumber()).isEqualTo(13);
    assertThat(DataType.TYPE_BF16.getNumber()).isEqualTo(14);
  }

  @Test
  void documentedConfigPbtxtParsesWithTextFormat() throws TextFormat.ParseException {
    String pbtxt =
        """
        name: "dit_video"
        backend: "onnxruntime"
        max_batch_size: 8
        input [
          {
            name: "latent"
            data_type: TYPE_FP16
            format: FORMAT_NONE
            dims: [ 16, -1, 60, 104 ]
          },
          {
            name: "timestep"
            data_type: TYPE_FP32
            dims: [ 1 ]
            reshape: { shape: [ ] }
          }
        ]
        output [
          {
            name: "noise_pred"
            data_type: TYPE_FP16
            dims: [ 16, -1, 60, 104 ]
          }
        ]
        version_policy: { latest { num_versions: 1 } }
        dynamic_batching {
          preferred_batch_size: [ 4, 8 ]
          max_queue_delay_microseconds: 100
          preserve_ordering: true
          priority_levels: 2
          default_priority_level: 2
          default_queue_policy {
            timeout_action: DELAY
            default_timeout_microseconds: 5000000
            allow_timeout_override: true
            max_queue_size: 64
          }
          priority_queue_policy {
            key: 1
            value: { timeout_action: REJECT max_queue_size: 16 }
          }
        }
        instance_group [
          {
            count: 2
            kind: KIND_CPU
          },
          {
            count: 1
            kind: KIND_GPU
            gpus: [ 0, 1 ]
          }
        ]
        optimization {
          execution_accelerators {
            gpu_execution_accelerator : [
              {
                name : "tensorrt"
                parameters { key: "precision_mode" value: "FP16" }
              }
            ]
          }
          input_pinned_memory { enable: true }
        }
        parameters { key: "k" value: { string_value: "v" } }
        model_warmup [
          {
            name: "zero_latent"
            batch_size: 1
            inputs {
              key: "latent"
              value: {
                data_type: TYPE_FP16
                dims: [ 16, 1, 60, 104 ]
                zero_data: true
              }
            }
            inputs {
              key: "timestep"
              value: {
                data_type: TYPE_FP32
                dims: [ 1 ]
                input_data_file: "timestep.bin"
              }
            }
          }
        ]
        model_transaction_policy { decoupled: false }
        response_cache { enable: true }
        """;

    ModelConfig.Builder builder = ModelConfig.newBuilder();
    TextFormat.merge(pbtxt, builder);
    ModelConfig config = builder.build();

    assertThat(config.getName()).isEqualTo("dit_video");
    assertThat(config.getBackend()).isEqualTo("onnxruntime");
    assertThat(config.getMaxBatchSize()).isEqualTo(8);
    assertThat(config.getInputList())
        .extracting(ModelInput::getName)
        .containsExactly("latent", "timestep");
    assertThat(config.getInput(0).getDataType()).isEqualTo(DataType.TYPE_FP16);
    assertThat(config.getInput(0).getDimsList()).containsExactly(16L, -1L, 60L, 104L);
    assertThat(config.getInput(1).hasReshape()).isTrue();
    assertThat(config.getInput(1).getReshape().getShapeList()).isEmpty();
    assertThat(config.getOutput(0).getName()).isEqualTo("noise_pred");
    assertThat(config.getVersionPolicy().getPolicyChoiceCase())
        .isEqualTo(ModelVersionPolicy.PolicyChoiceCase.LATEST);
    assertThat(config.getVersionPolicy().getLatest().getNumVersions()).isEqualTo(1);

    ModelDynamicBatching batching = config.getDynamicBatching();
    assertThat(batching.getPreferredBatchSizeList()).containsExactly(4, 8);
    assertThat(batching.getMaxQueueDelayMicroseconds()).isEqualTo(100L);
    assertThat(batching.getPreserveOrdering()).isTrue();
    assertThat(batching.getPriorityLevels()).isEqualTo(2L);
    assertThat(batching.getDefaultPriorityLevel()).isEqualTo(2L);
    assertThat(batching.getDefaultQueuePolicy().getTimeoutAction())
        .isEqualTo(ModelQueuePolicy.TimeoutAction.DELAY);
    assertThat(batching.getDefaultQueuePolicy().getDefaultTimeoutMicroseconds())
        .isEqualTo(5_000_000L);
    assertThat(batching.getDefaultQueuePolicy().getAllowTimeoutOverride()).isTrue();
    assertThat(batching.getDefaultQueuePolicy().getMaxQueueSize()).isEqualTo(64);
    assertThat(batching.getPriorityQueuePolicyMap().get(1L).getMaxQueueSize()).isEqualTo(16);

    assertThat(config.getInstanceGroupList())
        .extracting(ModelInstanceGroup::getCount, ModelInstanceGroup::getKind)
        .containsExactly(
            tuple(2, ModelInstanceGroup.Kind.KIND_CPU), tuple(1, ModelInstanceGroup.Kind.KIND_GPU));
    assertThat(config.getInstanceGroup(1).getGpusList()).containsExactly(0, 1);

    assertThat(
            config
                .getOptimization()
                .getExecutionAccelerators()
                .getGpuExecutionAccelerator(0)
                .getParametersMap())
        .containsEntry("precision_mode", "FP16");
    assertThat(config.getOptimization().getInputPinnedMemory().getEnable()).isTrue();
    assertThat(config.getParametersMap().get("k").getStringValue()).isEqualTo("v");

    ModelWarmup warmup = config.getModelWarmup(0);
    assertThat(warmup.getName()).isEqualTo("zero_latent");
    assertThat(warmup.getBatchSize()).isEqualTo(1);
    assertThat(warmup.getInputsMap().get("latent").getInputDataTypeCase())
        .isEqualTo(ModelWarmup.Input.InputDataTypeCase.ZERO_DATA);
    assertThat(warmup.getInputsMap().get("latent").getDimsList())
        .containsExactly(16L, 1L, 60L, 104L);
    assertThat(warmup.getInputsMap().get("timestep").getInputDataFile()).isEqualTo("timestep.bin");
    assertThat(config.hasModelTransactionPolicy()).isTrue();
    assertThat(config.getResponseCache().getEnable()).isTrue();

    // What the text parsed into survives Triton's binary encoding unchanged.
    assertThat(parseConfig(config.toByteArray())).isEqualTo(config);
  }

  @Test
  void documentedSequenceBatchingAndEnsembleConfigsParseWithTextFormat()
      throws TextFormat.ParseException {
    String sequence =
        """
        name: "stateful"
        backend: "onnxruntime"
        max_batch_size: 4
        sequence_batching {
          max_sequence_idle_microseconds: 5000000
          oldest {
            max_candidate_sequences: 4
            preferred_batch_size: [ 2 ]
            max_queue_delay_microseconds: 100
            preserve_ordering: true
          }
          control_input [
            {
              name: "START"
              control [
                {
                  kind: CONTROL_SEQUENCE_START
                  fp32_false_true: [ 0, 1 ]
                }
              ]
            },
            {
              name: "CORRID"
              control [
                {
                  kind: CONTROL_SEQUENCE_CORRID
                  data_type: TYPE_UINT64
                }
              ]
            }
          ]
          state [
            {
              input_name: "INPUT_STATE"
              output_name: "OUTPUT_STATE"
              data_type: TYPE_INT32
              dims: [ -1 ]
              initial_state: {
                data_type: TYPE_INT32
                dims: [ 1 ]
                zero_data: true
                name: "initial state"
              }
              use_same_buffer_for_input_output: true
            }
          ]
        }
        instance_group [ { kind: KIND_GPU count: 1 } ]
        """;
    ModelConfig.Builder sequenceBuilder = ModelConfig.newBuilder();
    TextFormat.merge(sequence, sequenceBuilder);
    ModelSequenceBatching batching = sequenceBuilder.getSequenceBatching();

    assertThat(batching.getMaxSequenceIdleMicroseconds()).isEqualTo(5_000_000L);
    assertThat(batching.getStrategyChoiceCase())
        .isEqualTo(ModelSequenceBatching.StrategyChoiceCase.OLDEST);
    assertThat(batching.getOldest().getMaxCandidateSequences()).isEqualTo(4);
    assertThat(batching.getOldest().getPreserveOrdering()).isTrue();
    assertThat(batching.getControlInput(0).getControl(0).getKind())
        .isEqualTo(ModelSequenceBatching.Control.Kind.CONTROL_SEQUENCE_START);
    assertThat(batching.getControlInput(0).getControl(0).getFp32FalseTrueList())
        .containsExactly(0f, 1f);
    assertThat(batching.getControlInput(1).getControl(0).getDataType())
        .isEqualTo(DataType.TYPE_UINT64);
    ModelSequenceBatching.State state = batching.getState(0);
    assertThat(state.getDimsList()).containsExactly(-1L);
    assertThat(state.getInitialState(0).getZeroData()).isTrue();
    assertThat(state.getInitialState(0).getName()).isEqualTo("initial state");
    assertThat(state.getUseSameBufferForInputOutput()).isTrue();

    String ensemble =
        """
        name: "pipeline"
        platform: "ensemble"
        max_batch_size: 1
        input [ { name: "PROMPT" data_type: TYPE_STRING dims: [ 1 ] } ]
        output [ { name: "VIDEO" data_type: TYPE_UINT8 dims: [ -1, -1, -1, 3 ] } ]
        ensemble_scheduling {
          step [
            {
              model_name: "text_encoder"
              model_version: -1
              input_map { key: "text" value: "PROMPT" }
              output_map { key: "embeddings" value: "emb" }
            },
            {
              model_name: "dit"
              model_version: -1
              input_map { key: "embeddings" value: "emb" }
              output_map { key: "frames" value: "VIDEO" }
            }
          ]
        }
        """;
    ModelConfig.Builder ensembleBuilder = ModelConfig.newBuilder();
    TextFormat.merge(ensemble, ensembleBuilder);
    ModelEnsembling scheduling = ensembleBuilder.getEnsembleScheduling();

    assertThat(ensembleBuilder.getPlatform()).isEqualTo("ensemble");
    assertThat(ensembleBuilder.getInput(0).getDataType()).isEqualTo(DataType.TYPE_STRING);
    assertThat(scheduling.getStepList())
        .extracting(ModelEnsembling.Step::getModelName)
        .containsExactly("text_encoder", "dit");
    assertThat(scheduling.getStep(0).getModelVersion()).isEqualTo(-1L);
    assertThat(scheduling.getStep(1).getOutputMapMap()).containsEntry("frames", "VIDEO");
  }

  private static ModelConfig parseConfig(byte[] bytes) {
    try {
      return ModelConfig.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
