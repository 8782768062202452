package dev.framecast.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.ListModelsRequest;
import dev.framecast.api.v1.VideoGenerationGrpc;
import dev.framecast.common.tls.TestPki;
import dev.framecast.common.tls.TlsFiles;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/**
 * The gateway's public port over TLS when a certificate is configured (what {@code ./framecast
 * serve --public-tls-cert ... --public-tls-key ...} sets): gRPC and HTTPS on one port, and no
 * plaintext listener.
 */
@QuarkusTest
@TestProfile(PublicTlsTest.Tls.class)
class PublicTlsTest {
  /** The certificate the profile configures, made once per test JVM. */
  static final class Certificates {
    static final TestPki PKI = new TestPki(Path.of("target", "public-tls"));
    static final TlsFiles GATEWAY = PKI.issue("framecast-gateway");
  }

  public static class Tls implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "quarkus.tls.key-store.pem.0.cert",
          Certificates.GATEWAY.certificate().toAbsolutePath().toString(),
          "quarkus.tls.key-store.pem.0.key",
          Certificates.GATEWAY.privateKey().toAbsolutePath().toString(),
          "quarkus.http.insecure-requests",
          "disabled",
          "quarkus.http.test-ssl-port",
          "0");
    }
  }

  @TestHTTPResource(value = "/", tls = true)
  URL url;

  private ChannelCredentials trustingTheCa() throws Exception {
    return TlsChannelCredentials.newBuilder()
        .trustManager(Certificates.PKI.caFile().toFile())
        .build();
  }

  private int modelCount(ChannelCredentials credentials) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("localhost", url.getPort(), credentials).build();
    try {
      return VideoGenerationGrpc.newBlockingStub(channel)
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .withCallCredentials(Tokens.bearer(Tokens.user("acme")))
          .listModels(ListModelsRequest.getDefaultInstance())
          .getModelsCount();
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void grpcIsServedOverTlsWithTheConfiguredCertificate() throws Exception {
    assertThat(url.getProtocol()).isEqualTo("https");
    assertThat(modelCount(trustingTheCa())).isPositive();
  }

  @Test
  void aPlaintextClientIsNotServed() {
    StatusRuntimeException refused = null;
    try {
      modelCount(InsecureChannelCredentials.create());
    } catch (StatusRuntimeException e) {
      refused = e;
    }
    assertThat(refused).isNotNull();
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void restIsServedOverHttps() throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(Certificates.PKI.caFile())) {
      trust.setCertificateEntry(
          "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    HttpClient https = HttpClient.newBuilder().sslContext(context).build();

    HttpResponse<String> models =
        https.send(
            HttpRequest.newBuilder(URI.create("https://localhost:" + url.getPort() + "/v1/models"))
                .header("Authorization", "Bearer " + Tokens.user("acme"))
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(models.statusCode()).isEqualTo(200);
    assertThat(models.body()).contains("reference");
  }
}
