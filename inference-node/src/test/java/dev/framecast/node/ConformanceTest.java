package dev.framecast.node;

import static dev.framecast.node.NodeClient.checkSimple;
import static dev.framecast.node.NodeClient.floats;
import static dev.framecast.node.NodeClient.input;
import static dev.framecast.node.NodeClient.simple;
import static dev.framecast.node.NodeClient.statusOf;
import static dev.framecast.node.NodeClient.strings;
import static dev.framecast.node.NodeClient.toFloats;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.framecast.inference.v2.InferParameter;
import dev.framecast.inference.v2.InferTensorContents;
import dev.framecast.inference.v2.ModelConfigRequest;
import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.inference.v2.ModelMetadataRequest;
import dev.framecast.inference.v2.ModelMetadataResponse;
import dev.framecast.inference.v2.ModelReadyRequest;
import dev.framecast.inference.v2.ModelStatistics;
import dev.framecast.inference.v2.ModelStatisticsRequest;
import dev.framecast.inference.v2.RepositoryIndexRequest;
import dev.framecast.inference.v2.RepositoryIndexResponse.ModelIndex;
import dev.framecast.inference.v2.ServerLiveRequest;
import dev.framecast.inference.v2.ServerMetadataRequest;
import dev.framecast.inference.v2.ServerReadyRequest;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Triton-protocol conformance over real gRPC, against the small models in
 * src/test/resources/repository: every RPC, every error path with Triton's status code and message
 * (docs/triton-semantics.md), typed and raw inputs, output subsets, BYTES and FP16.
 */
class ConformanceTest {
  static final Path REPOSITORY = Path.of("src/test/resources/repository");
  private static InferenceNode node;
  private static NodeClient client;

  @BeforeAll
  static void start() throws Exception {
    node =
        InferenceNode.start(
            NodeOptions.builder(REPOSITORY).host("127.0.0.1").port(0).metricsPort(-1).build());
    client = new NodeClient(node.port());
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  void serverIsLiveButNotReadyWhileSomeModelsFailedToLoad() {
    assertThat(client.blocking().serverLive(ServerLiveRequest.getDefaultInstance()).getLive())
        .isTrue();
    // Triton's strict readiness: ready only when every model is.
    assertThat(client.blocking().serverReady(ServerReadyRequest.getDefaultInstance()).getReady())
        .isFalse();
    HealthCheckResponse health =
        HealthGrpc.newBlockingStub(client.channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(HealthCheckRequest.newBuilder().setService("").build());
    assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.NOT_SERVING);
  }

  @Test
  void serverMetadataNamesTheNodeAndItsExtensions() {
    var metadata = client.blocking().serverMetadata(ServerMetadataRequest.getDefaultInstance());
    assertThat(metadata.getName()).isEqualTo("framecast-inference-node");
    assertThat(metadata.getVersion()).isNotEmpty();
    assertThat(metadata.getExtensionsList()).contains("model_configuration", "statistics");
  }

  @Test
  void modelReadyIsFalseNotAnErrorForUnknownOrFailedModels() {
    assertThat(ready("simple", "")).isTrue();
    assertThat(ready("simple", "1")).isTrue();
    assertThat(ready("simple", "2")).isFalse();
    assertThat(ready("no_such_model", "")).isFalse();
    assertThat(ready("missing_file", "")).isFalse();
    assertThat(ready("broken", "")).isFalse();
    Status bad = statusOf(() -> ready("simple", "abc"));
    assertThat(bad.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(bad.getDescription())
        .isEqualTo(
            "failed to get model version from specified version string 'abc' (details: stol),"
                + " version should be an integral value > 0");
  }

  @Test
  void modelMetadataListsTensorsWithDynamicBatchDimension() {
    ModelMetadataResponse simple =
        client
            .blocking()
            .modelMetadata(ModelMetadataRequest.newBuilder().setName("simple").build());
    assertThat(simple.getPlatform()).isEqualTo("onnxruntime_onnx");
    assertThat(simple.getVersionsList()).containsExactly("1");
    assertThat(simple.getInputsList())
        .extracting(t -> t.getName() + ":" + t.getDatatype() + t.getShapeList())
        .containsExactly("INPUT0:FP32[-1, 16]", "INPUT1:FP32[-1, 16]");
    ModelMetadataResponse nobatch =
        client
            .blocking()
            .modelMetadata(ModelMetadataRequest.newBuilder().setName("nobatch").build());
    assertThat(nobatch.getOutputs(0).getShapeList()).containsExactly(3L);
    ModelMetadataResponse strings =
        client
            .blocking()
            .modelMetadata(ModelMetadataRequest.newBuilder().setName("strings").build());
    assertThat(strings.getPlatform()).isEqualTo("onnxruntime_onnx");
    assertThat(strings.getInputs(0).getDatatype()).isEqualTo("BYTES");
  }

  @Test
  void lookupErrorsCarryTritonsCodesAndMessages() {
    assertStatus(
        metadata("no_such_model", ""),
        Status.Code.NOT_FOUND,
        "Request for unknown model: 'no_such_model' is not found");
    assertStatus(
        metadata("simple", "2"),
        Status.Code.NOT_FOUND,
        "Request for unknown model: 'simple' version 2 is not found");
    assertStatus(
        metadata("missing_file", ""),
        Status.Code.NOT_FOUND,
        "Request for unknown model: 'missing_file' has no available versions");
    assertStatus(
        metadata("missing_file", "1"),
        Status.Code.UNAVAILABLE,
        "Request for unknown model: 'missing_file' version 1 is not at ready state");
    assertStatus(
        metadata("simple", "-3"),
        Status.Code.INVALID_ARGUMENT,
        "invalid model version specified '-3' , version should be an integral value > 0");
    Status config =
        statusOf(
            () ->
                client
                    .blocking()
                    .modelConfig(ModelConfigRequest.newBuilder().setName("broken").build()));
    assertThat(config.getCode()).isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void modelConfigReturnsTheParsedConfigWithPlatformFilledIn() {
    var config =
        client
            .blocking()
            .modelConfig(ModelConfigRequest.newBuilder().setName("simple").build())
            .getConfig();
    assertThat(config.getMaxBatchSize()).isEqualTo(8);
    assertThat(config.getDynamicBatching().getPreferredBatchSizeList()).containsExactly(4, 8);
    var strings =
        client
            .blocking()
            .modelConfig(ModelConfigRequest.newBuilder().setName("strings").build())
            .getConfig();
    assertThat(strings.getPlatform()).isEqualTo("onnxruntime_onnx");
    assertThat(strings.getBackend()).isEqualTo("onnxruntime");
  }

  @Test
  void repositoryIndexReportsEveryModelWithStateAndReason() {
    List<ModelIndex> all =
        client
            .blocking()
            .repositoryIndex(RepositoryIndexRequest.getDefaultInstance())
            .getModelsList();
    assertThat(all)
        .extracting(ModelIndex::getName)
        .containsExactlyInAnyOrder(
            "broken", "half", "missing_file", "nobatch", "queued", "simple", "strings");
    ModelIndex simpleIndex = find(all, "simple");
    assertThat(simpleIndex.getState()).isEqualTo("READY");
    assertThat(simpleIndex.getVersion()).isEqualTo("1");
    assertThat(find(all, "broken").getState()).isEqualTo("UNAVAILABLE");
    assertThat(find(all, "broken").getReason()).contains("unsupported platform 'tensorrt_plan'");
    assertThat(find(all, "missing_file").getReason()).contains("unable to find");
    List<ModelIndex> ready =
        client
            .blocking()
            .repositoryIndex(RepositoryIndexRequest.newBuilder().setReady(true).build())
            .getModelsList();
    assertThat(ready).extracting(ModelIndex::getName).doesNotContain("broken", "missing_file");
    assertThat(
            statusOf(
                    () ->
                        client
                            .blocking()
                            .repositoryIndex(
                                RepositoryIndexRequest.newBuilder().setRepositoryName("x").build()))
                .getCode())
        .isEqualTo(Status.Code.UNIMPLEMENTED);
  }

  @Test
  void rawInputsGiveCorrectOutputsAndEchoTheId() {
    ModelInferResponse response = client.blocking().modelInfer(simple("simple", "req-1", 2, 10f));
    checkSimple(response, 2, 10f);
    assertThat(response.getId()).isEqualTo("req-1");
    assertThat(response.getModelName()).isEqualTo("simple");
    assertThat(response.getModelVersion()).isEqualTo("1");
    assertThat(response.getOutputsList())
        .extracting(o -> o.getName() + ":" + o.getDatatype() + o.getShapeList())
        .containsExactly("OUTPUT0:FP32[2, 16]", "OUTPUT1:FP32[2, 16]");
  }

  @Test
  void typedContentsGiveTheSameOutputsAsRaw() {
    InferTensorContents.Builder a = InferTensorContents.newBuilder();
    InferTensorContents.Builder b = InferTensorContents.newBuilder();
    for (int i = 0; i < 16; i++) {
      a.addFp32Contents(5f + i);
      b.addFp32Contents(1f);
    }
    ModelInferRequest request =
        ModelInferRequest.newBuilder()
            .setModelName("simple")
            .addInputs(input("INPUT0", "FP32", 1, 16).toBuilder().setContents(a))
            .addInputs(input("INPUT1", "FP32", 1, 16).toBuilder().setContents(b))
            .build();
    checkSimple(client.blocking().modelInfer(request), 1, 5f);

    ModelInferRequest ints =
        ModelInferRequest.newBuilder()
            .setModelName("nobatch")
            .addInputs(
                input("INPUT0", "INT32", 3).toBuilder()
                    .setContents(
                        InferTensorContents.newBuilder()
                            .addIntContents(1)
                            .addIntContents(-2)
                            .addIntContents(3)))
            .build();
    ModelInferResponse doubled = client.blocking().modelInfer(ints);
    ByteBuffer out =
        doubled.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    assertThat(new int[] {out.getInt(), out.getInt(), out.getInt()}).containsExactly(2, -4, 6);
    assertThat(doubled.getOutputs(0).getShapeList()).containsExactly(3L);
  }

  @Test
  void onlyTheRequestedOutputsAreReturnedInRequestOrder() {
    ModelInferRequest request =
        simple("simple", "", 1, 0f).toBuilder()
            .addOutputs(
                ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("OUTPUT1"))
            .build();
    ModelInferResponse response = client.blocking().modelInfer(request);
    assertThat(response.getOutputsList()).extracting(o -> o.getName()).containsExactly("OUTPUT1");
    assertThat(response.getRawOutputContentsCount()).isEqualTo(1);
    assertThat(toFloats(response.getRawOutputContents(0))[3]).isEqualTo(2f);
  }

  @Test
  void bytesTensorsRoundTripRawAndTyped() {
    ByteString wire = strings("héllo", "", "a longer element", "x");
    ModelInferRequest raw =
        ModelInferRequest.newBuilder()
            .setModelName("strings")
            .addInputs(input("INPUT0", "BYTES", 2, 2))
            .addRawInputContents(wire)
            .build();
    ModelInferResponse response = client.blocking().modelInfer(raw);
    assertThat(response.getOutputs(0).getDatatype()).isEqualTo("BYTES");
    assertThat(response.getOutputs(0).getShapeList()).containsExactly(2L, 2L);
    assertThat(response.getRawOutputContents(0)).isEqualTo(wire);

    ModelInferRequest typed =
        ModelInferRequest.newBuilder()
            .setModelName("strings")
            .addInputs(
                input("INPUT0", "BYTES", 1, 2).toBuilder()
                    .setContents(
                        InferTensorContents.newBuilder()
                            .addBytesContents(ByteString.copyFromUtf8("one"))
                            .addBytesContents(ByteString.copyFromUtf8("two"))))
            .build();
    assertThat(client.blocking().modelInfer(typed).getRawOutputContents(0))
        .isEqualTo(strings("one", "two"));
  }

  @Test
  void fp16TensorsTravelRaw() {
    // 1.0, 2.0, -0.5, 65504 (max half) in IEEE 754 binary16, little-endian.
    short[] halves = {0x3C00, 0x4000, (short) 0xB800, 0x3400};
    ByteBuffer in = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    for (short h : halves) {
      in.putShort(h);
    }
    ModelInferRequest request =
        ModelInferRequest.newBuilder()
            .setModelName("half")
            .addInputs(input("INPUT0", "FP16", 1, 4))
            .addRawInputContents(ByteString.copyFrom(in.array()))
            .build();
    ModelInferResponse response = client.blocking().modelInfer(request);
    ByteBuffer out =
        response.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    // Doubling adds one to the exponent: 2.0, 4.0, -1.0, 0.5.
    assertThat(new short[] {out.getShort(), out.getShort(), out.getShort(), out.getShort()})
        .containsExactly((short) 0x4000, (short) 0x4400, (short) 0xBC00, (short) 0x3800);
  }

  @Test
  void validationErrorsMatchTriton() {
    ModelInferRequest good = simple("simple", "r7", 1, 0f);
    assertInvalid(
        good.toBuilder()
            .setInputs(
                0,
                good.getInputs(0).toBuilder()
                    .setContents(InferTensorContents.newBuilder().addFp32Contents(1f)))
            .build(),
        "contents field must not be specified when using raw_input_contents for 'INPUT0' for model 'simple'");
    assertInvalid(
        good.toBuilder().setInputs(1, good.getInputs(1).toBuilder().setName("INPUT9")).build(),
        "unexpected inference input 'INPUT9' for model 'simple'");
    assertInvalid(
        good.toBuilder()
            .removeInputs(1)
            .clearRawInputContents()
            .addRawInputContents(good.getRawInputContents(0))
            .build(),
        "[request id: r7] expected 2 inputs but got 1 inputs for model 'simple'. Got input(s)"
            + " ['INPUT0'], but missing required input(s) ['INPUT1']. Please provide all required"
            + " input(s).");
    assertInvalid(
        good.toBuilder().setInputs(1, good.getInputs(1).toBuilder().setDatatype("INT32")).build(),
        "[request id: r7] inference input 'INPUT1' data-type is 'INT32', but model 'simple'"
            + " expects 'FP32'");
    assertInvalid(
        good.toBuilder()
            .setInputs(0, input("INPUT0", "FP32", 1, 15))
            .setRawInputContents(0, floats(new float[15]))
            .build(),
        "[request id: r7] unexpected shape for input 'INPUT0' for model 'simple'. Expected"
            + " [-1,16], got [1,15]. NOTE: Setting a non-zero max_batch_size in the model config"
            + " requires a batch dimension to be prepended to each input shape. If you want to"
            + " specify the full shape including the batch dim in your input dims config, try"
            + " setting max_batch_size to zero. See the model configuration docs for more info on"
            + " max_batch_size.");
    assertInvalid(
        simple("simple", "", 9, 0f),
        "[request id: <id_unknown>] inference request batch-size must be <= 8 for 'simple'");
    assertInvalid(
        good.toBuilder().setInputs(1, input("INPUT1", "FP32", 2, 16)).build(),
        "[request id: r7] input 'INPUT1' batch size does not match other inputs for 'simple'");
    assertInvalid(
        good.toBuilder().setRawInputContents(1, floats(new float[17])).build(),
        "[request id: r7] input byte size mismatch for input 'INPUT1' for model 'simple'."
            + " Expected 64, got 68");
    assertInvalid(
        good.toBuilder()
            .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("OUT"))
            .build(),
        "unexpected inference output 'OUT' for model 'simple'");
    assertInvalid(
        good.toBuilder()
            .clearRawInputContents()
            .addRawInputContents(good.getRawInputContents(0))
            .build(),
        "unable to find data for input tensor 'INPUT1' for model 'simple' in request.");
    assertInvalid(
        good.toBuilder().addInputs(good.getInputs(0)).build(),
        "[request id: r7] input 'INPUT0' already exists in request");
  }

  @Test
  void typedContentsOfTheWrongTypeAreRejected() {
    ModelInferRequest request =
        ModelInferRequest.newBuilder()
            .setModelName("simple")
            .addInputs(
                input("INPUT0", "FP32", 1, 16).toBuilder()
                    .setContents(InferTensorContents.newBuilder().addInt64Contents(1)))
            .addInputs(
                input("INPUT1", "FP32", 1, 16).toBuilder()
                    .setContents(InferTensorContents.newBuilder().addFp32Contents(1)))
            .build();
    assertInvalid(
        request,
        "unexpected explicit tensor data for input tensor 'INPUT0' for model 'simple' of type"
            + " 'INT64', expected datatype 'FP32'");
  }

  @Test
  void malformedBytesAreRejected() {
    ModelInferRequest request =
        ModelInferRequest.newBuilder()
            .setModelName("strings")
            .setId("s")
            .addInputs(input("INPUT0", "BYTES", 1, 2))
            .addRawInputContents(strings("a").concat(ByteString.copyFrom(new byte[] {1, 0})))
            .build();
    assertInvalid(
        request,
        "[request id: s] incomplete string length indicator for inference input 'INPUT0' for"
            + " model 'strings', expecting 4 bytes but only 2 bytes available. Please make sure the"
            + " string length indicator is in one buffer.");
    assertInvalid(
        request.toBuilder().setRawInputContents(0, strings("only one")).build(),
        "[request id: s] expected 2 string elements for inference input 'INPUT0' for model"
            + " 'strings', got 1");
  }

  @Test
  void reservedAndMistypedParametersAreRejected() {
    ModelInferRequest good = simple("simple", "", 1, 0f);
    assertInvalid(
        good.toBuilder()
            .putParameters("triton_secret", InferParameter.newBuilder().setBoolParam(true).build())
            .build(),
        "parameter keys starting with 'triton_' are reserved for Triton usage. Only the following"
            + " keys starting with 'triton_' are allowed: triton_enable_empty_final_response ");
    assertInvalid(
        good.toBuilder()
            .putParameters("timeout", InferParameter.newBuilder().setStringParam("1s").build())
            .build(),
        "invalid value type for 'timeout' parameter, expected int64_param.");
    assertInvalid(
        good.toBuilder()
            .putParameters("sequence_start", InferParameter.newBuilder().setInt64Param(1).build())
            .build(),
        "invalid value type for 'sequence_start' parameter, expected bool_param.");
    assertInvalid(
        good.toBuilder()
            .putParameters("priority", InferParameter.newBuilder().setInt64Param(-1).build())
            .build(),
        "invalid value for 'priority', expected value >= 0.");
    // Well-typed custom and special parameters are accepted.
    checkSimple(
        client
            .blocking()
            .modelInfer(
                good.toBuilder()
                    .putParameters(
                        "priority", InferParameter.newBuilder().setUint64Param(1).build())
                    .putParameters(
                        "custom", InferParameter.newBuilder().setStringParam("x").build())
                    .build()),
        1,
        0f);
  }

  @Test
  void statisticsOfUnknownModelsAreInvalidArguments() {
    Status unknown =
        statusOf(
            () ->
                client
                    .blocking()
                    .modelStatistics(ModelStatisticsRequest.newBuilder().setName("nope").build()));
    assertThat(unknown.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(unknown.getDescription()).isEqualTo("requested model 'nope' is not available");
    Status version =
        statusOf(
            () ->
                client
                    .blocking()
                    .modelStatistics(
                        ModelStatisticsRequest.newBuilder()
                            .setName("simple")
                            .setVersion("3")
                            .build()));
    assertThat(version.getDescription())
        .isEqualTo("requested model version is not available for model 'simple'");
    List<ModelStatistics> all =
        client
            .blocking()
            .modelStatistics(ModelStatisticsRequest.getDefaultInstance())
            .getModelStatsList();
    assertThat(all).extracting(ModelStatistics::getName).contains("simple", "nobatch", "strings");
  }

  @Test
  void injectedFaultsFailReportNotReadyAndDelay() {
    node.faults().failNext("nobatch", 1);
    ModelInferRequest request =
        ModelInferRequest.newBuilder()
            .setModelName("nobatch")
            .addInputs(
                input("INPUT0", "INT32", 3).toBuilder()
                    .setContents(
                        InferTensorContents.newBuilder()
                            .addIntContents(1)
                            .addIntContents(2)
                            .addIntContents(3)))
            .build();
    assertThat(statusOf(() -> client.blocking().modelInfer(request)).getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
    client.blocking().modelInfer(request); // only the next one failed

    node.faults().setNotReady("nobatch", true);
    try {
      assertThat(ready("nobatch", "")).isFalse();
      Status notReady = statusOf(() -> client.blocking().modelInfer(request));
      assertThat(notReady.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    } finally {
      node.faults().setNotReady("nobatch", false);
    }

    node.faults().addLatency("nobatch", 300);
    try {
      long start = System.nanoTime();
      client.blocking().modelInfer(request);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
          .isGreaterThanOrEqualTo(300);
    } finally {
      node.faults().addLatency("nobatch", 0);
    }
  }

  private static boolean ready(String model, String version) {
    return client
        .blocking()
        .modelReady(ModelReadyRequest.newBuilder().setName(model).setVersion(version).build())
        .getReady();
  }

  private static Status metadata(String model, String version) {
    return statusOf(
        () ->
            client
                .blocking()
                .modelMetadata(
                    ModelMetadataRequest.newBuilder().setName(model).setVersion(version).build()));
  }

  private static void assertInvalid(ModelInferRequest request, String message) {
    assertStatus(
        statusOf(() -> client.blocking().modelInfer(request)),
        Status.Code.INVALID_ARGUMENT,
        message);
  }

  private static void assertStatus(Status status, Status.Code code, String message) {
    assertThat(status.getCode()).as(status.toString()).isEqualTo(code);
    assertThat(status.getDescription()).isEqualTo(message);
  }

  private static ModelIndex find(List<ModelIndex> index, String name) {
    return index.stream().filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
  }
}
