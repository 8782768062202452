package dev.framecast.cli.client;

import dev.framecast.api.v1.VideoGenerationGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A channel to the gateway and its stubs, with the bearer token on every call.
 *
 * <p>Deadlines: unary calls (GetJob, CancelJob) get {@link #UNARY_DEADLINE}. Event streams get no
 * deadline, because a job may legitimately wait in a fair queue for an hour; instead HTTP/2
 * keepalive pings find a dead connection (a NAT that forgot us, a gateway that vanished), which
 * ends the stream with UNAVAILABLE so that {@link JobFollower} reconnects. The ping interval is
 * grpc-java's default minimum the server permits (5 minutes); pinging more often makes such a
 * server close the connection with "too_many_pings".
 */
public final class FramecastClient implements AutoCloseable {
  /** Deadline of each unary call. */
  public static final Duration UNARY_DEADLINE = Duration.ofSeconds(15);

  static final Duration KEEPALIVE_TIME = Duration.ofMinutes(5);
  static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(20);

  /** Frames of a large clip travel as PNG in one message each; a 720p frame is a few MiB. */
  static final int MAX_INBOUND_MESSAGE_BYTES = 64 << 20;

  private final ManagedChannel channel;
  private final ServerAddress address;
  private final BearerToken credentials;

  /** Wraps {@code channel} (tests pass an in-process one); closing the client shuts it down. */
  public FramecastClient(ManagedChannel channel, ServerAddress address, String token) {
    this.channel = channel;
    this.address = address;
    this.credentials = new BearerToken(token);
  }

  public static FramecastClient connect(ServerAddress address, String token) {
    NettyChannelBuilder builder =
        NettyChannelBuilder.forAddress(address.host(), address.port())
            .keepAliveTime(KEEPALIVE_TIME.toSeconds(), TimeUnit.SECONDS)
            .keepAliveTimeout(KEEPALIVE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
            .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
            .userAgent("framecast-cli");
    if (address.tls()) {
      builder.useTransportSecurity();
    } else {
      builder.usePlaintext();
    }
    return new FramecastClient(builder.build(), address, token);
  }

  public ServerAddress address() {
    return address;
  }

  /** A stub for event streams: no deadline (see the class comment). */
  public VideoGenerationGrpc.VideoGenerationBlockingStub streams() {
    return VideoGenerationGrpc.newBlockingStub(channel)
        .withCallCredentials(credentials)
        .withMaxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES);
  }

  /** A stub for one unary call; its deadline starts now, so take a fresh one per call. */
  public VideoGenerationGrpc.VideoGenerationBlockingStub unary() {
    return VideoGenerationGrpc.newBlockingStub(channel)
        .withCallCredentials(credentials)
        .withDeadlineAfter(UNARY_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
