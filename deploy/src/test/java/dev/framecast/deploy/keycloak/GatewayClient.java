package dev.framecast.deploy.keycloak;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.VideoGenerationGrpc;
import dev.framecast.api.v1.VideoGenerationGrpc.VideoGenerationBlockingStub;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** framecast.v1 over plaintext gRPC to the gateway, a bearer token per call, deadlines on all. */
final class GatewayClient implements AutoCloseable {
  static final Duration CALL = Duration.ofSeconds(20);
  static final Duration GENERATE = Duration.ofSeconds(120);
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final ManagedChannel channel;

  GatewayClient(int port) {
    this.channel =
        NettyChannelBuilder.forAddress("127.0.0.1", port)
            .usePlaintext()
            .maxInboundMessageSize(16 << 20)
            .build();
  }

  /** A stub that sends {@code token} and gives up after {@link #CALL}. */
  VideoGenerationBlockingStub as(String token) {
    return as(token, CALL);
  }

  VideoGenerationBlockingStub as(String token, Duration deadline) {
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + token);
    return VideoGenerationGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The channel, for the calls a test makes itself. */
  ManagedChannel channel() {
    return channel;
  }

  /** Generate, read to the end of the stream. */
  List<JobEvent> generate(String token, String prompt, int steps) {
    Iterator<JobEvent> stream =
        as(token, GENERATE)
            .generate(GenerateRequest.newBuilder().setPrompt(prompt).setSteps(steps).build());
    List<JobEvent> events = new ArrayList<>();
    stream.forEachRemaining(events::add);
    return events;
  }

  /** The status code {@code call} fails with; fails itself when the call succeeds. */
  static Status.Code failure(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
    throw new AssertionError("expected the call to fail, and it succeeded");
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
