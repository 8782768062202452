package dev.framecast.common.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A client's trust in the server it connects to: the chain must lead to a trusted CA, and the
 * certificate must name the service expected there (framecast-scheduler, framecast-node), by its
 * common name or a DNS or URI name. The host name is not compared: the scheduler reaches nodes at
 * the pod addresses a headless service resolves to, which no certificate lists; the service name is
 * the identity, as in SPIFFE.
 */
final class ClientTrust extends X509ExtendedTrustManager {
  private final TrustedCas cas;
  private final Set<String> expected;

  ClientTrust(TrustedCas cas, Set<String> expected) {
    this.cas = cas;
    this.expected = Set.copyOf(expected);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the server sent no certificate");
    }
    cas.checkServer(chain, authType);
    if (!Certificates.namesAny(chain[0], expected)) {
      throw new CertificateException(
          "the server's certificate names "
              + Certificates.describe(chain[0])
              + ", not "
              + String.join(" or ", expected));
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("a client's trust manager does not check clients");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return cas.acceptedIssuers();
  }
}
