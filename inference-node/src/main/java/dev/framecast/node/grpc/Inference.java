package dev.framecast.node.grpc;

import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.node.batch.PendingRequest;
import dev.framecast.node.fault.FaultInjector;
import dev.framecast.node.infer.DecodedRequest;
import dev.framecast.node.infer.Errors;
import dev.framecast.node.infer.InferenceException;
import dev.framecast.node.infer.OutputOrder;
import dev.framecast.node.infer.OutputTensor;
import dev.framecast.node.infer.RequestDecoder;
import dev.framecast.node.repository.ModelRepository;
import dev.framecast.node.repository.ModelVersion;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The path of one inference request, shared by ModelInfer and ModelStreamInfer: resolve the model,
 * validate and decode, apply injected faults, queue, and build the response.
 */
final class Inference {
  private final ModelRepository repository;
  private final FaultInjector faults;
  private final OutputOrder outputOrder;

  Inference(ModelRepository repository, FaultInjector faults, OutputOrder outputOrder) {
    this.repository = repository;
    this.faults = faults;
    this.outputOrder = outputOrder;
  }

  /** An inference in progress; {@link #cancel()} drops it if it is still queued. */
  static final class Call {
    private final CompletableFuture<ModelInferResponse> result;
    private final AtomicReference<Runnable> canceller = new AtomicReference<>(() -> {});
    private volatile boolean cancelled;

    private Call(CompletableFuture<ModelInferResponse> result) {
      this.result = result;
    }

    CompletableFuture<ModelInferResponse> result() {
      return result;
    }

    void cancel() {
      cancelled = true;
      canceller.get().run();
    }
  }

  Call start(ModelInferRequest request) {
    CompletableFuture<ModelInferResponse> result = new CompletableFuture<>();
    Call call = new Call(result);
    ModelVersion version;
    DecodedRequest decoded;
    try {
      version = repository.resolve(request.getModelName(), request.getModelVersion());
      if (faults.modelNotReady(version.name())) {
        throw Errors.versionNotReady(version.name(), version.version());
      }
      decoded = RequestDecoder.decode(version.signature(), request);
    } catch (InferenceException e) {
      // Lookup and validation errors are not counted in statistics, as in Triton.
      result.completeExceptionally(e);
      return call;
    }
    try {
      faults.maybeFail(version.name());
    } catch (InferenceException e) {
      version.stats().failure(e.reason(), 0);
      result.completeExceptionally(e);
      return call;
    }
    long latency = faults.latencyMillis(version.name());
    if (latency > 0) {
      // Injected latency delays queueing without holding a gRPC thread.
      CompletableFuture.delayedExecutor(latency, TimeUnit.MILLISECONDS)
          .execute(() -> enqueue(call, version, decoded));
    } else {
      enqueue(call, version, decoded);
    }
    return call;
  }

  private void enqueue(Call call, ModelVersion version, DecodedRequest decoded) {
    if (call.cancelled) {
      call.result.completeExceptionally(Errors.cancelled());
      return;
    }
    PendingRequest pending;
    try {
      pending = version.scheduler().submit(decoded);
    } catch (InferenceException e) {
      call.result.completeExceptionally(e);
      return;
    }
    call.canceller.set(() -> version.scheduler().cancel(pending));
    if (call.cancelled) {
      version.scheduler().cancel(pending);
    }
    pending
        .result()
        .whenComplete(
            (outputs, error) -> {
              if (error != null) {
                call.result.completeExceptionally(error);
              } else {
                call.result.complete(response(version, decoded, outputOrder.arrange(outputs)));
              }
            });
  }

  private static ModelInferResponse response(
      ModelVersion version, DecodedRequest request, List<OutputTensor> outputs) {
    ModelInferResponse.Builder response =
        ModelInferResponse.newBuilder()
            .setModelName(version.name())
            .setModelVersion(Long.toString(version.version()))
            .setId(request.id());
    for (OutputTensor output : outputs) {
      ModelInferResponse.InferOutputTensor.Builder tensor =
          response
              .addOutputsBuilder()
              .setName(output.name())
              .setDatatype(output.type().protocolName());
      for (long dim : output.shape()) {
        tensor.addShape(dim);
      }
      response.addRawOutputContents(output.data());
    }
    return response.build();
  }
}
