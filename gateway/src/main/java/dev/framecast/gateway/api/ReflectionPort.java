package dev.framecast.gateway.api;

import dev.framecast.api.v1.VideoGenerationGrpc;
import dev.framecast.gateway.GatewayConfig;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

/**
 * gRPC reflection of {@code framecast.v1} in distributed mode, on a port of its own bound like the
 * management interface (Quarkus serves gRPC on its main server only, so reflection cannot join the
 * management port itself). It serves the public API's descriptors and nothing else: every method
 * there answers UNIMPLEMENTED. Tools fetch the descriptors here ({@code grpcurl -protoset-out}) and
 * call the public port with them. In embedded mode reflection is on the public port instead (one
 * machine, loopback by default) and this port is not opened.
 */
@ApplicationScoped
public class ReflectionPort {
  private static final Logger LOG = Logger.getLogger(ReflectionPort.class);

  private final GatewayConfig config;
  private Server server;

  public ReflectionPort(GatewayConfig config) {
    this.config = config;
  }

  void start(@Observes StartupEvent event) {
    int port = config.distributed().reflectionPort();
    if (config.mode() != GatewayConfig.Mode.DISTRIBUTED || port < 0) {
      return;
    }
    String host =
        ConfigProvider.getConfig()
            .getOptionalValue("quarkus.management.host", String.class)
            .orElse("0.0.0.0");
    try {
      server =
          NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
              .addService(new VideoGenerationGrpc.VideoGenerationImplBase() {})
              .addService(ProtoReflectionServiceV1.newInstance())
              .build()
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot serve gRPC reflection on "
              + host
              + ":"
              + port
              + " (framecast.distributed"
              + ".reflection-port; -1 turns it off)",
          e);
    }
    LOG.infof(
        "gRPC reflection of framecast.v1 on %s:%d (descriptors only; calls go to the public port)",
        host, server.getPort());
  }

  /** The port reflection is served on; -1 when it is not. */
  public int port() {
    return server == null ? -1 : server.getPort();
  }

  void stop(@Observes ShutdownEvent event) {
    if (server != null) {
      server.shutdown();
      try {
        server.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      server.shutdownNow();
    }
  }
}
