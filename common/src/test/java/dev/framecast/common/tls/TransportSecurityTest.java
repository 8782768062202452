package dev.framecast.common.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.framecast.devcerts.DevCertificates;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS as a server of the platform sees it (here: a server taking calls from
 * framecast-gateway only, as the scheduler does), over real TLS on a loopback port.
 */
class TransportSecurityTest {
  @TempDir Path dir;

  private final java.util.List<AutoCloseable> closing = new java.util.ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private TransportSecurity open(TlsFiles files) {
    TransportSecurity security = TransportSecurity.mutualTls(files, Duration.ofMillis(100));
    closing.add(security);
    return security;
  }

  private int serve(TransportSecurity security) throws Exception {
    Server server =
        security
            .server(
                new InetSocketAddress("127.0.0.1", 0), "the scheduler", Set.of("framecast-gateway"))
            .addService(new HealthStatusManager().getHealthService())
            .build()
            .start();
    closing.add(
        () -> {
          server.shutdownNow();
          server.awaitTermination(5, TimeUnit.SECONDS);
        });
    return server.getPort();
  }

  private HealthCheckResponse.ServingStatus check(int port, ChannelCredentials credentials) {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port, credentials).build();
    try {
      return HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance())
          .getStatus();
    } finally {
      channel.shutdownNow();
    }
  }

  private static Status statusOf(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
    throw new AssertionError("the call was not refused");
  }

  @Test
  void theGatewaysCertificateIsServed() throws Exception {
    TestPki pki = new TestPki(dir);
    int port = serve(open(pki.issue("framecast-scheduler")));
    TransportSecurity gateway = open(pki.issue("framecast-gateway"));

    assertThat(check(port, gateway.channel(Set.of("framecast-scheduler"))))
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void everyOtherClientIsUnauthenticatedWithTheReason() throws Exception {
    TestPki pki = new TestPki(dir);
    int port = serve(open(pki.issue("framecast-scheduler")));
    ChannelCredentials noCertificate =
        TlsChannelCredentials.newBuilder()
            .trustManager(
                new ClientTrust(new TrustedCas(pki.caFile()), Set.of("framecast-scheduler")))
            .build();

    Status none = statusOf(() -> check(port, noCertificate));
    Status selfSigned =
        statusOf(
            () ->
                check(
                    port,
                    open(pki.selfSigned("framecast-gateway"))
                        .channel(Set.of("framecast-scheduler"))));
    Status otherCa =
        statusOf(
            () ->
                check(
                    port,
                    open(pki.fromAnotherCa("framecast-gateway"))
                        .channel(Set.of("framecast-scheduler"))));
    Status node =
        statusOf(
            () ->
                check(
                    port,
                    open(pki.issue("framecast-node")).channel(Set.of("framecast-scheduler"))));

    assertThat(List.of(none, selfSigned, otherCa, node))
        .extracting(Status::getCode)
        .containsOnly(Status.Code.UNAUTHENTICATED);
    assertThat(none.getDescription()).contains("no client certificate");
    assertThat(selfSigned.getDescription()).contains("is not trusted");
    assertThat(otherCa.getDescription()).contains("is not trusted");
    assertThat(node.getDescription())
        .contains("names framecast-node")
        .contains("from framecast-gateway");
  }

  @Test
  void aPlaintextClientIsNotServed() throws Exception {
    TestPki pki = new TestPki(dir);
    int port = serve(open(pki.issue("framecast-scheduler")));

    assertThat(statusOf(() -> check(port, InsecureChannelCredentials.create())).getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void aClientChecksTheServersNameNotItsAddress() throws Exception {
    TestPki pki = new TestPki(dir);
    // A node reached at a pod address that no certificate lists: its name is what counts.
    int node = serve(open(pki.issueWithoutHosts("framecast-node")));
    TransportSecurity scheduler = open(pki.issue("framecast-gateway"));

    assertThat(check(node, scheduler.channel(Set.of("framecast-node"))))
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    Status impostor = statusOf(() -> check(node, scheduler.channel(Set.of("framecast-scheduler"))));
    assertThat(impostor.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void rotatedCasAndCertificatesAreReloadedWithoutARestart() throws Exception {
    TestPki pki = new TestPki(dir);
    TlsFiles serverFiles = pki.issue("framecast-scheduler");
    int port = serve(open(serverFiles));
    DevCertificates.Authority next =
        DevCertificates.Authority.create("Next CA", Duration.ofDays(1));
    Path nextCa = dir.resolve("next-ca.pem");
    DevCertificates.writeCertificates(nextCa, List.of(next.certificate()));
    Path clientCert = dir.resolve("next-gateway.pem");
    Path clientKey = dir.resolve("next-gateway-key.pem");
    next.issue("framecast-gateway", List.of(), Duration.ofDays(1)).write(clientCert, clientKey);
    // The client trusts only the next CA, and holds a certificate from it.
    TransportSecurity client = open(new TlsFiles(clientCert, clientKey, nextCa));
    assertThat(statusOf(() -> check(port, client.channel(Set.of("framecast-scheduler")))).getCode())
        .isEqualTo(Status.Code.UNAVAILABLE); // it does not trust the server's certificate yet

    // Rotation: the server trusts both CAs, then gets a certificate from the next one.
    DevCertificates.writeCertificates(
        serverFiles.trustedCas(), List.of(pki.ca().certificate(), next.certificate()));
    next.issue("framecast-scheduler", List.of(), Duration.ofDays(1))
        .write(serverFiles.certificate(), serverFiles.privateKey());
    touch(serverFiles.certificate());
    touch(serverFiles.privateKey());
    touch(serverFiles.trustedCas());

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    HealthCheckResponse.ServingStatus status = null;
    while (status == null && System.nanoTime() < deadline) {
      try {
        status = check(port, client.channel(Set.of("framecast-scheduler")));
      } catch (StatusRuntimeException e) {
        Thread.sleep(100);
      }
    }
    assertThat(status).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  /** A modification time clearly later than the first load's, on file systems with coarse times. */
  private static void touch(Path file) throws Exception {
    Files.setLastModifiedTime(
        file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 2_000));
  }

  @Test
  void flagsNeedAllThreeFilesOrInsecureAndNeverBoth() {
    TransportSecurity.Flags neither = new TransportSecurity.Flags();
    assertThatThrownBy(neither::check).hasMessageContaining("TLS is required");

    TransportSecurity.Flags some = new TransportSecurity.Flags();
    some.option("--tls-cert", "a.pem");
    assertThatThrownBy(some::check).hasMessageContaining("--tls-key, --tls-ca");

    TransportSecurity.Flags both = new TransportSecurity.Flags();
    both.flag("--insecure");
    both.option("--tls-ca", "ca.pem");
    assertThatThrownBy(both::check).hasMessageContaining("exclude each other");

    TransportSecurity.Flags missingFiles = new TransportSecurity.Flags();
    missingFiles.option("--tls-cert", dir.resolve("no.pem").toString());
    missingFiles.option("--tls-key", dir.resolve("no-key.pem").toString());
    missingFiles.option("--tls-ca", dir.resolve("ca.pem").toString());
    assertThatThrownBy(() -> missingFiles.open("the node"))
        .hasMessageContaining("no file at")
        .hasMessageContaining("./framecast certs");
  }
}
