package dev.framecast.common.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A server's trust manager that lets the handshake finish whatever certificate the client shows (or
 * none), so that the {@link PeerAuthenticator} can refuse each call with {@code UNAUTHENTICATED}
 * and a reason, rather than the client seeing a bare handshake failure ({@code UNAVAILABLE}). The
 * handshake still proves that the client holds the key of the certificate it showed; whether that
 * certificate is trusted is decided before any service sees a call, on every call, by the
 * authenticator, which every server built by {@link TransportSecurity} installs.
 */
final class DeferredClientTrust extends X509ExtendedTrustManager {
  private final TrustedCas cas;

  DeferredClientTrust(TrustedCas cas) {
    this.cas = cas;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) {}

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("a server's trust manager does not check servers");
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
  public X509Certificate[] getAcceptedIssuers() {
    // Sent in the certificate request, so a client picks a certificate from the right CA.
    return cas.acceptedIssuers();
  }
}
