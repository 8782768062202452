package dev.framecast.node.grpc;

import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.inference.v2.ModelStreamInferResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One ModelStreamInfer call: requests run concurrently (and batch with others), responses are
 * written in request order by a single chain of futures, so the stream has one writer at a time.
 */
final class StreamSession implements StreamObserver<ModelInferRequest> {
  private final Inference inference;
  private final ServerCallStreamObserver<ModelStreamInferResponse> call;
  private final List<Inference.Call> inFlight = new ArrayList<>();

  /** Completes when every response so far has been written. */
  private CompletableFuture<Void> written = CompletableFuture.completedFuture(null);

  StreamSession(Inference inference, ServerCallStreamObserver<ModelStreamInferResponse> call) {
    this.inference = inference;
    this.call = call;
  }

  @Override
  public synchronized void onNext(ModelInferRequest request) {
    Inference.Call pending = inference.start(request);
    inFlight.add(pending);
    CompletableFuture<ModelStreamInferResponse> response =
        pending
            .result()
            .handle(
                (result, error) -> {
                  if (error == null) {
                    return ModelStreamInferResponse.newBuilder().setInferResponse(result).build();
                  }
                  // In-band: the message of the status Triton would return, with the request id.
                  return ModelStreamInferResponse.newBuilder()
                      .setErrorMessage(
                          InferenceService.toStatus(error).getDescription() == null
                              ? InferenceService.toStatus(error).getCode().name()
                              : InferenceService.toStatus(error).getDescription())
                      .setInferResponse(ModelInferResponse.newBuilder().setId(request.getId()))
                      .build();
                });
    written =
        written.thenCombine(
            response,
            (ignored, message) -> {
              write(message, pending);
              return null;
            });
  }

  private synchronized void write(ModelStreamInferResponse message, Inference.Call pending) {
    inFlight.remove(pending);
    if (!call.isCancelled()) {
      call.onNext(message);
    }
  }

  @Override
  public void onError(Throwable t) {
    cancel();
  }

  @Override
  public synchronized void onCompleted() {
    written.whenComplete(
        (ignored, error) -> {
          synchronized (this) {
            if (!call.isCancelled()) {
              call.onCompleted();
            }
          }
        });
  }

  synchronized void cancel() {
    new ArrayList<>(inFlight).forEach(Inference.Call::cancel);
  }
}
