package dev.framecast.gateway.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.framecast.common.tls.TestPki;
import dev.framecast.common.tls.TlsFiles;
import dev.framecast.common.tls.TransportSecurity;
import dev.framecast.gateway.GatewayConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a distributed gateway reaches its scheduler: mutual TLS, or plaintext only when asked. */
class SchedulerTransportTest {
  @TempDir Path dir;

  private static GatewayConfig.Distributed distributed(TlsFiles files, boolean insecure) {
    return new GatewayConfig.Distributed() {
      @Override
      public int reflectionPort() {
        return -1;
      }

      @Override
      public String scheduler() {
        return "localhost:8090";
      }

      @Override
      public Duration deadline() {
        return Duration.ofSeconds(10);
      }

      @Override
      public Optional<Path> tlsCert() {
        return Optional.ofNullable(files).map(TlsFiles::certificate);
      }

      @Override
      public Optional<Path> tlsKey() {
        return Optional.ofNullable(files).map(TlsFiles::privateKey);
      }

      @Override
      public Optional<Path> tlsCa() {
        return Optional.ofNullable(files).map(TlsFiles::trustedCas);
      }

      @Override
      public String schedulerName() {
        return "framecast-scheduler";
      }

      @Override
      public boolean insecure() {
        return insecure;
      }
    };
  }

  @Test
  void withNeitherCertificatesNorInsecureTheGatewayDoesNotStart() {
    assertThatThrownBy(() -> BackendProducer.transport(distributed(null, false)))
        .hasMessageContaining("distributed mode needs mutual TLS to the scheduler")
        .hasMessageContaining("framecast.distributed.tls-cert")
        .hasMessageContaining("framecast.distributed.insecure=true");
  }

  @Test
  void insecureAndCertificatesExcludeEachOther() {
    TlsFiles files = new TestPki(dir).issue("framecast-gateway");

    assertThatThrownBy(() -> BackendProducer.transport(distributed(files, true)))
        .hasMessageContaining("exclude each other");
  }

  @Test
  void certificatesGiveMutualTlsAndInsecureGivesPlaintext() {
    TlsFiles files = new TestPki(dir).issue("framecast-gateway");

    try (TransportSecurity tls = BackendProducer.transport(distributed(files, false));
        TransportSecurity plain = BackendProducer.transport(distributed(null, true))) {
      assertThat(tls.insecure()).isFalse();
      assertThat(tls.describe()).contains("mutual TLS");
      assertThat(plain.insecure()).isTrue();
    }
  }
}
