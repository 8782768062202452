package dev.framecast.common.tls;

import dev.framecast.devcerts.DevCertificates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Certificates for TLS tests, written under one directory: a CA the services trust, and for any
 * service name its certificate from that CA, a self-signed one, or one from another CA. Shared with
 * the scheduler's, node's and gateway's tests through common's test-jar.
 */
public final class TestPki {
  private final Path dir;
  private final DevCertificates.Authority ca;
  private final DevCertificates.Authority otherCa;
  private final Path caFile;

  public TestPki(Path dir) {
    try {
      this.dir = Files.createDirectories(dir);
      this.ca = DevCertificates.Authority.create("Test CA", Duration.ofDays(1));
      this.otherCa = DevCertificates.Authority.create("Another CA", Duration.ofDays(1));
      this.caFile = dir.resolve("ca.pem");
      DevCertificates.writeCertificates(caFile, List.of(ca.certificate()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path caFile() {
    return caFile;
  }

  public DevCertificates.Authority ca() {
    return ca;
  }

  /** {@code name}'s certificate from the trusted CA, answering on localhost and 127.0.0.1. */
  public TlsFiles issue(String name) {
    return write(name, "", ca.issue(name, List.of("localhost", "127.0.0.1"), Duration.ofDays(1)));
  }

  /** {@code name}'s certificate from the trusted CA that names no host or address at all. */
  public TlsFiles issueWithoutHosts(String name) {
    return write(name, "-nohost", ca.issue(name, List.of(), Duration.ofDays(1)));
  }

  /** A self-signed certificate claiming to be {@code name}. */
  public TlsFiles selfSigned(String name) {
    return write(name, "-self", DevCertificates.selfSigned(name, List.of("localhost")));
  }

  /** A certificate for {@code name} from a CA nobody here trusts. */
  public TlsFiles fromAnotherCa(String name) {
    return write(
        name, "-other", otherCa.issue(name, List.of("localhost", "127.0.0.1"), Duration.ofDays(1)));
  }

  private TlsFiles write(String name, String suffix, DevCertificates.Issued issued) {
    Path certificate = dir.resolve(name + suffix + ".pem");
    Path key = dir.resolve(name + suffix + "-key.pem");
    try {
      issued.write(certificate, key);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new TlsFiles(certificate, key, caFile);
  }
}
