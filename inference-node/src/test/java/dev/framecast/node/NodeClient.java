package dev.framecast.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import dev.framecast.inference.v2.GRPCInferenceServiceGrpc;
import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.inference.v2.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** A real gRPC client of a node started on a free port, with helpers to build tensors. */
final class NodeClient implements AutoCloseable {
  final ManagedChannel channel;

  NodeClient(int port) {
    channel =
        ManagedChannelBuilder.forAddress("localhost", port)
            .usePlaintext()
            .maxInboundMessageSize(64 << 20)
            .build();
  }

  /** A blocking stub with a deadline, as every client call should have. */
  GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub blocking() {
    return GRPCInferenceServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  GRPCInferenceServiceGrpc.GRPCInferenceServiceStub async() {
    return GRPCInferenceServiceGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  static ModelInferRequest.InferInputTensor input(String name, String datatype, long... shape) {
    ModelInferRequest.InferInputTensor.Builder input =
        ModelInferRequest.InferInputTensor.newBuilder().setName(name).setDatatype(datatype);
    for (long dim : shape) {
      input.addShape(dim);
    }
    return input.build();
  }

  static ByteString longs(long... values) {
    java.nio.ByteBuffer buffer =
        java.nio.ByteBuffer.allocate(values.length * Long.BYTES)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      buffer.putLong(v);
    }
    return ByteString.copyFrom(buffer.array());
  }

  static ByteString floats(float... values) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      buffer.putFloat(v);
    }
    return ByteString.copyFrom(buffer.array());
  }

  /** The named output's contents: responses list outputs by name, as Triton's do. */
  static ByteString output(ModelInferResponse response, String name) {
    for (int i = 0; i < response.getOutputsCount(); i++) {
      if (response.getOutputs(i).getName().equals(name)) {
        return response.getRawOutputContents(i);
      }
    }
    throw new AssertionError("response has no output '" + name + "': " + response.getOutputsList());
  }

  /** The named output's metadata (datatype, shape). */
  static ModelInferResponse.InferOutputTensor outputTensor(
      ModelInferResponse response, String name) {
    return response.getOutputsList().stream()
        .filter(o -> o.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("response has no output '" + name + "'"));
  }

  static float[] toFloats(ByteString bytes) {
    ByteBuffer buffer = bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[buffer.remaining() / 4];
    buffer.asFloatBuffer().get(values);
    return values;
  }

  /** BYTES wire format: each element a 4-byte little-endian length and its bytes. */
  static ByteString strings(String... values) {
    ByteString.Output out = ByteString.newOutput();
    for (String value : values) {
      byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
      out.write(
          ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length).array(), 0, 4);
      out.write(bytes, 0, bytes.length);
    }
    return out.toByteString();
  }

  static float[] range(int n, float start) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = start + i;
    }
    return values;
  }

  /** A request for the "simple" test model: batch rows of INPUT0 = i, INPUT1 = 1. */
  static ModelInferRequest simple(String model, String id, int batch, float start) {
    float[] ones = new float[16 * batch];
    java.util.Arrays.fill(ones, 1f);
    return ModelInferRequest.newBuilder()
        .setModelName(model)
        .setId(id)
        .addInputs(input("INPUT0", "FP32", batch, 16))
        .addInputs(input("INPUT1", "FP32", batch, 16))
        .addRawInputContents(floats(range(16 * batch, start)))
        .addRawInputContents(floats(ones))
        .build();
  }

  static ModelInferResponse checkSimple(ModelInferResponse response, int batch, float start) {
    assertThat(response.getOutputsCount()).isEqualTo(2);
    float[] sum = toFloats(output(response, "OUTPUT0"));
    float[] difference = toFloats(output(response, "OUTPUT1"));
    assertThat(sum).hasSize(16 * batch);
    for (int i = 0; i < sum.length; i++) {
      assertThat(sum[i]).isEqualTo(start + i + 1);
      assertThat(difference[i]).isEqualTo(start + i - 1);
    }
    return response;
  }

  /** Runs the call and returns the status it failed with; fails the test if it succeeded. */
  static Status statusOf(Runnable call) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("the call must fail").isNotNull();
    return e.getStatus();
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
