package dev.framecast.common.tls;

import io.grpc.util.CertificateUtils;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.logging.Logger;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The CA certificates a component trusts, read from a PEM file and read again when the file changes
 * (a rotated CA bundle, a Kubernetes secret update). A file that no longer parses keeps the last
 * good set and logs why. Each set has a generation, so a verdict cached on a connection is checked
 * again after the CAs change.
 */
final class TrustedCas {
  private static final Logger LOG = Logger.getLogger(TrustedCas.class.getName());

  private record Loaded(
      X509ExtendedTrustManager pkix,
      X509Certificate[] cas,
      FileTime modified,
      long size,
      int gen) {}

  private final Path file;
  private volatile Loaded loaded;

  TrustedCas(Path file) throws IOException, GeneralSecurityException {
    this.file = file;
    this.loaded = load(file, 1);
  }

  private static Loaded load(Path file, int generation)
      throws IOException, GeneralSecurityException {
    FileTime modified = Files.getLastModifiedTime(file);
    long size = Files.size(file);
    X509Certificate[] cas;
    try (InputStream in = Files.newInputStream(file)) {
      cas = CertificateUtils.getX509Certificates(in);
    }
    if (cas.length == 0) {
      throw new CertificateException("no PEM certificate in " + file);
    }
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    for (int i = 0; i < cas.length; i++) {
      store.setCertificateEntry("ca-" + i, cas[i]);
    }
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    for (TrustManager manager : factory.getTrustManagers()) {
      if (manager instanceof X509ExtendedTrustManager pkix) {
        return new Loaded(pkix, cas, modified, size, generation);
      }
    }
    throw new GeneralSecurityException("no X.509 trust manager in this JDK");
  }

  /** Reads the file again if its time or size changed; returns whether the set changed. */
  boolean reloadIfChanged() {
    Loaded current = loaded;
    try {
      if (Files.getLastModifiedTime(file).equals(current.modified())
          && Files.size(file) == current.size()) {
        return false;
      }
      loaded = load(file, current.gen() + 1);
      LOG.info("TLS: trusted CA certificates reloaded from " + file);
      return true;
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      LOG.warning(
          "TLS: could not reload the CA certificates from "
              + file
              + " (keeping the last good"
              + " set): "
              + e);
      return false;
    }
  }

  int generation() {
    return loaded.gen();
  }

  X509Certificate[] acceptedIssuers() {
    return loaded.cas().clone();
  }

  /** PKIX validation of a client's chain: dates, signatures up to a trusted CA, key usages. */
  void checkClient(X509Certificate[] chain) throws CertificateException {
    loaded.pkix().checkClientTrusted(chain, chain[0].getPublicKey().getAlgorithm());
  }

  /** PKIX validation of a server's chain, without host name checks (see {@link ClientTrust}). */
  void checkServer(X509Certificate[] chain, String authType) throws CertificateException {
    loaded.pkix().checkServerTrusted(chain, authType);
  }
}
