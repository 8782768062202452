package dev.framecast.common.tls;

import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.CertificateUtils;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.logging.Logger;

/**
 * A component's own certificate chain and private key, read from PEM files into a key manager and
 * read again when either file changes (cert-manager renews both; {@code ./framecast certs} rewrites
 * both). A pair that does not parse, or whose key does not match the certificate (a renewal caught
 * half-written), keeps the last good pair until the next check.
 */
final class Identity {
  private static final Logger LOG = Logger.getLogger(Identity.class.getName());

  private final Path certificateFile;
  private final Path keyFile;
  private final AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
  private volatile List<FileTime> seen;

  Identity(Path certificateFile, Path keyFile) throws IOException, GeneralSecurityException {
    this.certificateFile = certificateFile;
    this.keyFile = keyFile;
    this.seen = times();
    load();
  }

  AdvancedTlsX509KeyManager keyManager() {
    return keys;
  }

  private List<FileTime> times() throws IOException {
    return List.of(Files.getLastModifiedTime(certificateFile), Files.getLastModifiedTime(keyFile));
  }

  private void load() throws IOException, GeneralSecurityException {
    X509Certificate[] chain;
    try (InputStream in = Files.newInputStream(certificateFile)) {
      chain = CertificateUtils.getX509Certificates(in);
    }
    if (chain.length == 0) {
      throw new CertificateException("no PEM certificate in " + certificateFile);
    }
    PrivateKey key;
    try (InputStream in = Files.newInputStream(keyFile)) {
      key = CertificateUtils.getPrivateKey(in);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new GeneralSecurityException(
          "no PKCS#8 PEM private key (BEGIN PRIVATE KEY) in " + keyFile + ": " + e.getMessage(), e);
    }
    checkPair(chain[0], key);
    keys.updateIdentityCredentials(chain, key);
  }

  /** Signs and verifies a message: the key belongs to the certificate. */
  private void checkPair(X509Certificate certificate, PrivateKey key)
      throws GeneralSecurityException {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "EC" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> null;
        };
    if (algorithm == null) {
      return; // an algorithm we cannot test here; the handshake will
    }
    byte[] message = "framecast".getBytes(StandardCharsets.US_ASCII);
    Signature signer = Signature.getInstance(algorithm);
    signer.initSign(key);
    signer.update(message);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance(algorithm);
    verifier.initVerify(certificate.getPublicKey());
    verifier.update(message);
    if (!verifier.verify(signature)) {
      throw new GeneralSecurityException(
          "the private key in "
              + keyFile
              + " does not belong to the certificate in "
              + certificateFile);
    }
  }

  /** Reads both files again if either changed; returns whether the identity changed. */
  boolean reloadIfChanged() {
    try {
      List<FileTime> now = times();
      if (now.equals(seen)) {
        return false;
      }
      load();
      seen = now;
      LOG.info("TLS: certificate and key reloaded from " + certificateFile + ", " + keyFile);
      return true;
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      LOG.warning(
          "TLS: could not reload "
              + certificateFile
              + " and "
              + keyFile
              + " (keeping the last"
              + " good pair; trying again): "
              + e.getMessage());
      return false;
    }
  }
}
