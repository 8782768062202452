package dev.framecast.gateway;

import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.VideoGenerationGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** A plain grpc-java client of the gateway under test (what a team's service would use). */
final class GrpcClient implements AutoCloseable {
  final ManagedChannel channel;

  GrpcClient(int port) {
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  VideoGenerationGrpc.VideoGenerationBlockingStub anonymous() {
    return VideoGenerationGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
  }

  VideoGenerationGrpc.VideoGenerationBlockingStub as(String token) {
    return anonymous().withCallCredentials(Tokens.bearer(token));
  }

  VideoGenerationGrpc.VideoGenerationBlockingStub tenant(String tenant) {
    return as(Tokens.user(tenant));
  }

  VideoGenerationGrpc.VideoGenerationStub async(String tenant) {
    return VideoGenerationGrpc.newStub(channel)
        .withCallCredentials(Tokens.bearer(Tokens.user(tenant)));
  }

  static List<JobEvent> drain(Iterator<JobEvent> events) {
    List<JobEvent> all = new ArrayList<>();
    events.forEachRemaining(all::add);
    return all;
  }

  /** The status a call fails with; an AssertionError if it succeeds. */
  static StatusRuntimeException failure(Supplier<?> call) {
    try {
      Object result = call.get();
      if (result instanceof Iterator<?> it) {
        it.forEachRemaining(x -> {});
      }
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("the call succeeded");
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
