package dev.framecast.scheduler.node;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.framecast.inference.v2.GRPCInferenceServiceGrpc;
import dev.framecast.inference.v2.ModelConfig;
import dev.framecast.inference.v2.ModelConfigRequest;
import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.inference.v2.ModelMetadataRequest;
import dev.framecast.inference.v2.ModelMetadataResponse;
import dev.framecast.inference.v2.ModelReadyRequest;
import dev.framecast.inference.v2.ServerReadyRequest;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Async client of one Triton-protocol node (Triton on GPUs or Framecast's inference node). */
public final class TritonClient implements AutoCloseable {
  private final String address;
  private final ManagedChannel channel;
  private final GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub stub;

  /** A plaintext client (tests, and the embedded mode's in-process node on loopback). */
  public TritonClient(String address, int maxMessageBytes) {
    this(address, maxMessageBytes, InsecureChannelCredentials.create());
  }

  /** A client whose channel is protected as {@code credentials} say (mutual TLS in production). */
  public TritonClient(String address, int maxMessageBytes, ChannelCredentials credentials) {
    this(
        address,
        NettyChannelBuilder.forTarget(address, credentials)
            .maxInboundMessageSize(maxMessageBytes)
            .build());
  }

  public TritonClient(String address, ManagedChannel channel) {
    this.address = address;
    this.channel = channel;
    this.stub = GRPCInferenceServiceGrpc.newFutureStub(channel);
  }

  public String address() {
    return address;
  }

  public CompletableFuture<ModelInferResponse> infer(ModelInferRequest request, Duration deadline) {
    return toCompletable(
        stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).modelInfer(request));
  }

  public CompletableFuture<ModelConfig> config(String model, Duration deadline) {
    return toCompletable(
            stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .modelConfig(ModelConfigRequest.newBuilder().setName(model).build()))
        .thenApply(r -> r.getConfig());
  }

  public CompletableFuture<ModelMetadataResponse> metadata(String model, Duration deadline) {
    return toCompletable(
        stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
            .modelMetadata(ModelMetadataRequest.newBuilder().setName(model).build()));
  }

  public CompletableFuture<dev.framecast.inference.v2.ModelStatisticsResponse> statistics(
      String model, Duration deadline) {
    return toCompletable(
        stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
            .modelStatistics(
                dev.framecast.inference.v2.ModelStatisticsRequest.newBuilder()
                    .setName(model)
                    .build()));
  }

  public CompletableFuture<Boolean> serverReady(Duration deadline) {
    return toCompletable(
            stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .serverReady(ServerReadyRequest.getDefaultInstance()))
        .thenApply(r -> r.getReady());
  }

  public CompletableFuture<Boolean> modelReady(String model, Duration deadline) {
    return toCompletable(
            stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .modelReady(ModelReadyRequest.newBuilder().setName(model).build()))
        .thenApply(r -> r.getReady());
  }

  private static <T> CompletableFuture<T> toCompletable(ListenableFuture<T> future) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Futures.addCallback(
        future,
        new FutureCallback<>() {
          @Override
          public void onSuccess(T value) {
            result.complete(value);
          }

          @Override
          public void onFailure(Throwable t) {
            result.completeExceptionally(t);
          }
        },
        MoreExecutors.directExecutor());
    return result;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
