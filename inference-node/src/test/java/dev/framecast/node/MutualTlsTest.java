package dev.framecast.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.common.tls.TestPki;
import dev.framecast.common.tls.TlsFiles;
import dev.framecast.common.tls.TransportSecurity;
import dev.framecast.inference.v2.GRPCInferenceServiceGrpc;
import dev.framecast.inference.v2.ModelReadyRequest;
import dev.framecast.inference.v2.ServerLiveRequest;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node over real mutual TLS, as {@code ./framecast node --tls-cert ...} serves: it answers the
 * scheduler's certificate and refuses every other client with UNAUTHENTICATED before any of its
 * services (inference, health, reflection) sees the call.
 */
class MutualTlsTest {
  @TempDir static Path dir;
  private static TestPki pki;
  private static TransportSecurity nodeSecurity;
  private static InferenceNode node;
  private static final List<TransportSecurity> clients = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    pki = new TestPki(dir);
    nodeSecurity = TransportSecurity.mutualTls(pki.issue("framecast-node"), Duration.ofSeconds(30));
    Path repository = Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
    node =
        InferenceNode.start(
            NodeOptions.builder(repository)
                .host("127.0.0.1")
                .port(0)
                .metricsPort(-1)
                .loadModel("text_encoder")
                .build(),
            nodeSecurity.server(
                new InetSocketAddress("127.0.0.1", 0), "the node", Set.of("framecast-scheduler")));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    clients.forEach(TransportSecurity::close);
    if (nodeSecurity != null) {
      nodeSecurity.close();
    }
  }

  private static ChannelCredentials as(TlsFiles files) {
    TransportSecurity security = TransportSecurity.mutualTls(files, Duration.ofSeconds(30));
    clients.add(security);
    return security.channel(Set.of("framecast-node"));
  }

  private static boolean modelReady(ChannelCredentials credentials) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", node.port(), credentials).build();
    try {
      GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub =
          GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      assertThat(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
      return stub.modelReady(ModelReadyRequest.newBuilder().setName("text_encoder").build())
          .getReady();
    } finally {
      channel.shutdownNow();
    }
  }

  private static Status refusal(ChannelCredentials credentials) {
    try {
      modelReady(credentials);
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
    throw new AssertionError("the node answered");
  }

  @Test
  void theSchedulersCertificateIsServed() {
    assertThat(modelReady(as(pki.issue("framecast-scheduler")))).isTrue();
  }

  @Test
  void theGatewaysCertificateIsRefused() {
    Status status = refusal(as(pki.issue("framecast-gateway")));

    assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(status.getDescription())
        .contains("the node takes calls only over mutual TLS from framecast-scheduler")
        .contains("names framecast-gateway");
  }

  @Test
  void noCertificateASelfSignedOneOrOneFromAnotherCaIsRefused() throws Exception {
    ChannelCredentials none =
        TlsChannelCredentials.newBuilder().trustManager(pki.caFile().toFile()).build();

    assertThat(
            List.of(
                refusal(none),
                refusal(as(pki.selfSigned("framecast-scheduler"))),
                refusal(as(pki.fromAnotherCa("framecast-scheduler")))))
        .extracting(Status::getCode)
        .containsOnly(Status.Code.UNAUTHENTICATED);
  }
}
