package dev.framecast.devcerts;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertsMainTest {
  @TempDir Path dir;

  @Test
  void makesACaAndACertificatePerServiceThatChainToIt() throws Exception {
    String said =
        CertsMain.write(dir, List.of("localhost", "127.0.0.1"), Duration.ofDays(9), false);

    X509Certificate ca = DevCertificates.readCertificates(dir.resolve("ca.pem")).get(0);
    for (String service : List.of("gateway", "scheduler", "node")) {
      X509Certificate leaf = DevCertificates.readCertificates(dir.resolve(service + ".pem")).get(0);
      leaf.verify(ca.getPublicKey()); // issued by the CA
      assertThat(leaf.getSubjectX500Principal().getName()).contains("CN=framecast-" + service);
      assertThat(leaf.getSubjectAlternativeNames().stream().map(name -> (Object) name.get(1)))
          .contains((Object) ("framecast-" + service), "localhost", "127.0.0.1");
      assertThat(leaf.getExtendedKeyUsage())
          .containsExactly("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"); // server and client
      assertThat(leaf.getBasicConstraints()).isEqualTo(-1); // not a CA
      assertThat(DevCertificates.readKey(dir.resolve(service + "-key.pem")).getAlgorithm())
          .isEqualTo("EC");
      assertThat(
              PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(dir.resolve(service + "-key.pem"))))
          .isEqualTo("rw-------");
      assertThat(
              PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(dir.resolve(service + ".pem"))))
          .isEqualTo("rw-r--r--");
    }
    assertThat(said).contains("made a new CA").contains("--tls-cert " + dir.resolve("node.pem"));
  }

  @Test
  void runningAgainRenewsTheCertificatesFromTheSameCaUnlessANewOneIsAskedFor() throws Exception {
    CertsMain.write(dir, List.of(), Duration.ofDays(9), false);
    String ca = Files.readString(dir.resolve("ca.pem"));
    String node = Files.readString(dir.resolve("node.pem"));

    String said = CertsMain.write(dir, List.of(), Duration.ofDays(9), false);
    assertThat(said).contains("kept the CA");
    assertThat(Files.readString(dir.resolve("ca.pem"))).isEqualTo(ca);
    assertThat(Files.readString(dir.resolve("node.pem"))).isNotEqualTo(node);
    DevCertificates.readCertificates(dir.resolve("node.pem"))
        .get(0)
        .verify(DevCertificates.readCertificates(dir.resolve("ca.pem")).get(0).getPublicKey());

    CertsMain.write(dir, List.of(), Duration.ofDays(9), true);
    assertThat(Files.readString(dir.resolve("ca.pem"))).isNotEqualTo(ca);
  }

  @Test
  void forComposeTheServicesKeysCanBeMadeReadableButNeverTheCasKey() throws Exception {
    CertsMain.write(dir, List.of(), Duration.ofDays(9), false, true);

    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("scheduler-key.pem"))))
        .isEqualTo("rw-r--r--");
    assertThat(
            PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca-key.pem"))))
        .isEqualTo("rw-------");
  }
}
