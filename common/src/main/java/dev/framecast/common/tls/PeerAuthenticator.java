package dev.framecast.common.tls;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Set;
import java.util.logging.Logger;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Admits a call only from a peer whose client certificate chains to a trusted CA and names one of
 * the accepted services; every other call ends with {@code UNAUTHENTICATED} and the reason before
 * any service (health and reflection included) sees it. The verdict is kept on the TLS session, so
 * a connection is verified once, and again after the trusted CAs change.
 */
public final class PeerAuthenticator implements ServerInterceptor {
  private static final Logger LOG = Logger.getLogger(PeerAuthenticator.class.getName());

  /** The accepted peer's certificate name, for the services' logs. */
  public static final Context.Key<String> PEER = Context.key("framecast-tls-peer");

  private static final String VERDICT = "dev.framecast.tls.verdict";

  /** A session's verdict: the peer's names when accepted, or why it was refused. */
  private record Verdict(int generation, String peer, String refusal) {}

  private final TrustedCas cas;
  private final Set<String> accepted;
  private final String server;

  PeerAuthenticator(TrustedCas cas, Set<String> accepted, String server) {
    this.cas = cas;
    this.accepted = Set.copyOf(accepted);
    this.server = server;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    Verdict verdict;
    if (session == null) {
      verdict = new Verdict(0, null, "the connection is not TLS");
    } else {
      verdict = session.getValue(VERDICT) instanceof Verdict kept ? kept : null;
      if (verdict == null || verdict.generation() != cas.generation()) {
        verdict = judge(session);
        session.putValue(VERDICT, verdict);
        if (verdict.refusal() != null) {
          logRefusal(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR), verdict.refusal());
        }
      }
    }
    if (verdict.refusal() != null) {
      call.close(
          Status.UNAUTHENTICATED.withDescription(
              server
                  + " takes calls only over mutual TLS from "
                  + String.join(", ", accepted)
                  + ": "
                  + verdict.refusal()),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(
        Context.current().withValue(PEER, verdict.peer()), call, headers, next);
  }

  /** At most one warning per {@link #LOG_EVERY_NANOS}: a port scan must not flood the log. */
  private static final long LOG_EVERY_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);

  private final java.util.concurrent.atomic.AtomicLong lastWarning =
      new java.util.concurrent.atomic.AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);
  private final java.util.concurrent.atomic.AtomicLong unlogged =
      new java.util.concurrent.atomic.AtomicLong();

  private void logRefusal(Object peer, String refusal) {
    long now = System.nanoTime();
    long last = lastWarning.get();
    if (now - last >= LOG_EVERY_NANOS && lastWarning.compareAndSet(last, now)) {
      long more = unlogged.getAndSet(0);
      LOG.warning(
          server
              + ": refused a peer at "
              + peer
              + ": "
              + refusal
              + (more > 0
                  ? " (and " + more + " more refused connections since the last warning)"
                  : ""));
    } else {
      unlogged.incrementAndGet();
      LOG.fine(() -> server + ": refused a peer at " + peer + ": " + refusal);
    }
  }

  private Verdict judge(SSLSession session) {
    int generation = cas.generation();
    Certificate[] presented;
    try {
      presented = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return new Verdict(generation, null, "no client certificate was presented");
    }
    if (presented.length == 0 || !(presented[0] instanceof X509Certificate)) {
      return new Verdict(generation, null, "no X.509 client certificate was presented");
    }
    X509Certificate[] chain =
        Arrays.stream(presented).map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
    try {
      cas.checkClient(chain);
    } catch (CertificateException e) {
      return new Verdict(
          generation,
          null,
          "the client certificate ("
              + Certificates.describe(chain[0])
              + ") is not trusted: "
              + e.getMessage());
    }
    if (!Certificates.namesAny(chain[0], accepted)) {
      return new Verdict(
          generation,
          null,
          "the client certificate names "
              + Certificates.describe(chain[0])
              + ", not an accepted"
              + " service");
    }
    return new Verdict(generation, Certificates.describe(chain[0]), null);
  }
}
