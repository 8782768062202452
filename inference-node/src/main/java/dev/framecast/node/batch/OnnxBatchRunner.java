package dev.framecast.node.batch;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.framecast.node.infer.InferenceException;
import dev.framecast.node.infer.InputTensor;
import dev.framecast.node.infer.OutputTensor;
import dev.framecast.node.metrics.ModelStats;
import dev.framecast.node.tensor.Shapes;
import dev.framecast.node.tensor.TensorSpec;
import dev.framecast.node.tensor.TritonType;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Runs a batch in ONNX Runtime: concatenates the requests' inputs along the batch dimension into
 * direct little-endian buffers (the one copy between the gRPC message and the tensor), runs only
 * the requested outputs, and slices each output back per request without copying again.
 */
public final class OnnxBatchRunner implements BatchRunner {
  private final OrtEnvironment env;
  private final List<OrtSession> sessions;
  private final Map<String, TensorSpec> outputs;
  private final boolean batched;
  private final ModelStats stats;
  private final LongSupplier clock;

  public OnnxBatchRunner(
      OrtEnvironment env,
      List<OrtSession> sessions,
      Map<String, TensorSpec> outputs,
      boolean batched,
      ModelStats stats,
      LongSupplier clock) {
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      // Triton's raw tensors are little-endian and ONNX Runtime reads native order.
      throw new IllegalStateException("this node requires a little-endian platform");
    }
    this.env = env;
    this.sessions = List.copyOf(sessions);
    this.outputs = outputs;
    this.batched = batched;
    this.stats = stats;
    this.clock = clock;
  }

  @Override
  public void run(int instance, List<PendingRequest> batch) {
    long start = clock.getAsLong();
    int rows = batch.stream().mapToInt(PendingRequest::batchSize).sum();
    Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
    try {
      for (String name : batch.get(0).request().inputs().keySet()) {
        inputs.put(name, concat(name, batch, rows));
      }
      Set<String> wanted = new LinkedHashSet<>();
      batch.forEach(r -> wanted.addAll(r.request().outputs()));
      long inputDone = clock.getAsLong();
      try (OrtSession.Result result = sessions.get(instance).run(inputs, wanted)) {
        long inferDone = clock.getAsLong();
        List<Map<String, OutputTensor>> perRequest = split(result, wanted, batch, rows);
        long outputDone = clock.getAsLong();
        stats.execution(rows, inputDone - start, inferDone - inputDone, outputDone - inferDone);
        for (int i = 0; i < batch.size(); i++) {
          PendingRequest request = batch.get(i);
          Map<String, OutputTensor> mine = perRequest.get(i);
          List<OutputTensor> ordered = new ArrayList<>();
          request.request().outputs().forEach(n -> ordered.add(mine.get(n)));
          stats.success(
              outputDone - request.enqueueNanos(),
              request.dispatchNanos() - request.enqueueNanos());
          request.result().complete(ordered);
        }
      }
    } catch (OrtException | RuntimeException e) {
      InferenceException error =
          e instanceof InferenceException ie
              ? ie
              : new InferenceException(
                  Status.Code.INTERNAL,
                  InferenceException.Reason.BACKEND,
                  "onnx runtime error: " + e.getMessage(),
                  e);
      long now = clock.getAsLong();
      for (PendingRequest request : batch) {
        stats.failure(error.reason(), now - request.enqueueNanos());
        request.result().completeExceptionally(error);
      }
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  private OnnxTensor concat(String name, List<PendingRequest> batch, int rows) throws OrtException {
    InputTensor first = batch.get(0).request().inputs().get(name);
    TritonType type = first.spec().type();
    long[] shape = first.shape().clone();
    if (batched) {
      shape[0] = rows;
    }
    if (type == TritonType.BYTES) {
      List<String> all = new ArrayList<>();
      for (PendingRequest request : batch) {
        all.addAll(List.of(request.request().inputs().get(name).strings()));
      }
      return OnnxTensor.createTensor(env, all.toArray(String[]::new), shape);
    }
    ByteBuffer data;
    if (batch.size() == 1 && first.data().isDirect()) {
      data = first.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    } else {
      int total = 0;
      for (PendingRequest request : batch) {
        total += request.request().inputs().get(name).data().remaining();
      }
      data = ByteBuffer.allocateDirect(total).order(ByteOrder.LITTLE_ENDIAN);
      for (PendingRequest request : batch) {
        data.put(request.request().inputs().get(name).data().duplicate());
      }
      data.flip();
    }
    return OnnxTensor.createTensor(env, data, shape, type.onnxType());
  }

  private List<Map<String, OutputTensor>> split(
      OrtSession.Result result, Set<String> wanted, List<PendingRequest> batch, int rows)
      throws OrtException {
    List<Map<String, OutputTensor>> perRequest = new ArrayList<>();
    batch.forEach(r -> perRequest.add(new LinkedHashMap<>()));
    for (String name : wanted) {
      OnnxValue value =
          result
              .get(name)
              .orElseThrow(() -> backendError("model did not produce output '" + name + "'"));
      if (!(value instanceof OnnxTensor tensor)) {
        throw backendError("output '" + name + "' is not a tensor");
      }
      TensorSpec spec = outputs.get(name);
      long[] shape = tensor.getInfo().getShape();
      if (batched && (shape.length == 0 || shape[0] != rows)) {
        throw backendError(
            "output '"
                + name
                + "' has batch dimension "
                + Shapes.format(shape)
                + ", expected "
                + rows);
      }
      if (spec.type() == TritonType.BYTES) {
        splitStrings(name, tensor, shape, batch, perRequest);
        continue;
      }
      // One copy out of ONNX Runtime's memory; the per-request slices share it.
      ByteBuffer all = tensor.getByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      int rowBytes = batched ? all.remaining() / rows : all.remaining();
      int offset = 0;
      for (int i = 0; i < batch.size(); i++) {
        int requestRows = batched ? batch.get(i).batchSize() : 1;
        int length = rowBytes * requestRows;
        ByteString bytes = UnsafeByteOperations.unsafeWrap(all.slice(offset, length));
        offset += length;
        long[] requestShape = shape.clone();
        if (batched) {
          requestShape[0] = requestRows;
        }
        perRequest.get(i).put(name, new OutputTensor(name, spec.type(), requestShape, bytes));
      }
    }
    return perRequest;
  }

  private void splitStrings(
      String name,
      OnnxTensor tensor,
      long[] shape,
      List<PendingRequest> batch,
      List<Map<String, OutputTensor>> perRequest)
      throws OrtException {
    List<String> flat = new ArrayList<>();
    flatten(tensor.getValue(), flat);
    int perRow = batched ? flat.size() / Math.max(1, (int) shape[0]) : flat.size();
    int index = 0;
    for (int i = 0; i < batch.size(); i++) {
      int requestRows = batched ? batch.get(i).batchSize() : 1;
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (int k = 0; k < perRow * requestRows; k++) {
        byte[] bytes = flat.get(index++).getBytes(StandardCharsets.UTF_8);
        out.writeBytes(
            ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length).array());
        out.writeBytes(bytes);
      }
      long[] requestShape = shape.clone();
      if (batched) {
        requestShape[0] = requestRows;
      }
      perRequest
          .get(i)
          .put(
              name,
              new OutputTensor(
                  name, TritonType.BYTES, requestShape, ByteString.copyFrom(out.toByteArray())));
    }
  }

  private static void flatten(Object value, List<String> into) {
    if (value instanceof String s) {
      into.add(s);
    } else if (value != null && value.getClass().isArray()) {
      for (int i = 0; i < Array.getLength(value); i++) {
        flatten(Array.get(value, i), into);
      }
    }
  }

  private static InferenceException backendError(String message) {
    return new InferenceException(Status.Code.INTERNAL, InferenceException.Reason.BACKEND, message);
  }
}
