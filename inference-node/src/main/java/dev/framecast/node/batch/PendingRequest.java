package dev.framecast.node.batch;

import dev.framecast.node.infer.DecodedRequest;
import dev.framecast.node.infer.OutputTensor;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A request waiting in (or taken from) a model version's queue, with its future result. */
public final class PendingRequest implements BatchPolicy.Queued {
  private final DecodedRequest request;
  private final long enqueueNanos;
  private final long deadlineNanos;
  private final String shapeKey;
  private final CompletableFuture<List<OutputTensor>> result = new CompletableFuture<>();

  /** Set when the batcher takes the request; guarded by the scheduler's lock. */
  private long dispatchNanos;

  PendingRequest(DecodedRequest request, long enqueueNanos, long deadlineNanos) {
    this.request = request;
    this.enqueueNanos = enqueueNanos;
    this.deadlineNanos = deadlineNanos;
    this.shapeKey = request.shapeKey();
  }

  public DecodedRequest request() {
    return request;
  }

  /** Completes with this request's outputs, or exceptionally with an InferenceException. */
  public CompletableFuture<List<OutputTensor>> result() {
    return result;
  }

  @Override
  public int batchSize() {
    return request.batchSize();
  }

  @Override
  public String shapeKey() {
    return shapeKey;
  }

  @Override
  public long enqueueNanos() {
    return enqueueNanos;
  }

  /** Long.MAX_VALUE when the request has no timeout. */
  long deadlineNanos() {
    return deadlineNanos;
  }

  long dispatchNanos() {
    return dispatchNanos;
  }

  void markDispatched(long nanos) {
    this.dispatchNanos = nanos;
  }
}
