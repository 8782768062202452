package dev.framecast.common.tls;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a component's TLS identity and trust are: its certificate chain (PEM, leaf first), its
 * private key (PKCS#8 PEM, {@code BEGIN PRIVATE KEY}) and the CA certificates (PEM) that every
 * peer's certificate must chain to. All three are read again when they change on disk.
 */
public record TlsFiles(Path certificate, Path privateKey, Path trustedCas) {
  public TlsFiles {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(trustedCas, "trustedCas");
  }

  /** Throws IllegalArgumentException naming the first file that is missing or unreadable. */
  void checkReadable() {
    check(certificate, "certificate");
    check(privateKey, "private key");
    check(trustedCas, "CA certificates");
  }

  private static void check(Path file, String what) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          "TLS "
              + what
              + ": no file at "
              + file.toAbsolutePath()
              + " (./framecast certs makes a"
              + " development CA and certificates)");
    }
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(
          "TLS " + what + ": " + file.toAbsolutePath() + " is not readable by this user");
    }
  }
}
