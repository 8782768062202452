package dev.framecast.common.tls;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.util.AdvancedTlsX509KeyManager;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * How one component's gRPC connections are protected: mutual TLS (its certificate and key, the CAs
 * its peers must chain to, reloaded when the files change) or, only when asked for by name,
 * plaintext. A server built here takes calls only from peers whose certificates name an accepted
 * service ({@link PeerAuthenticator}); a channel made here connects only to a server whose
 * certificate names the expected service.
 */
public final class TransportSecurity implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(TransportSecurity.class.getName());

  /** How often the certificate, key and CA files are checked for changes. */
  public static final Duration RELOAD_EVERY = Duration.ofSeconds(30);

  private final TlsFiles files;
  private final AdvancedTlsX509KeyManager keys;
  private final TrustedCas cas;
  private final ScheduledExecutorService reloads;

  private TransportSecurity(
      TlsFiles files,
      AdvancedTlsX509KeyManager keys,
      TrustedCas cas,
      ScheduledExecutorService reloads) {
    this.files = files;
    this.keys = keys;
    this.cas = cas;
    this.reloads = reloads;
  }

  /**
   * Plaintext: no encryption, and no peer authentication (any process that reaches the port is
   * every tenant and admin). Logs a warning naming the component.
   */
  public static TransportSecurity insecure(String component) {
    LOG.warning(
        component
            + ": plaintext gRPC without peer authentication (insecure, as asked): anything that can"
            + " reach the port is trusted. For development on one machine only.");
    return new TransportSecurity(null, null, null, null);
  }

  /** Mutual TLS from the files, checked for changes every {@code reloadEvery}. */
  public static TransportSecurity mutualTls(TlsFiles files, Duration reloadEvery) {
    files.checkReadable();
    ScheduledExecutorService reloads =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "framecast-tls-reload");
              thread.setDaemon(true);
              return thread;
            });
    try {
      TrustedCas cas = new TrustedCas(files.trustedCas());
      Identity identity = new Identity(files.certificate(), files.privateKey());
      reloads.scheduleWithFixedDelay(
          () -> {
            cas.reloadIfChanged();
            identity.reloadIfChanged();
          },
          reloadEvery.toMillis(),
          reloadEvery.toMillis(),
          TimeUnit.MILLISECONDS);
      return new TransportSecurity(files, identity.keyManager(), cas, reloads);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      reloads.shutdownNow();
      throw new IllegalArgumentException(
          "TLS: cannot use "
              + files.certificate()
              + ", "
              + files.privateKey()
              + " and "
              + files.trustedCas()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  public boolean insecure() {
    return files == null;
  }

  /** For logs: "mutual TLS (cert ...)" or "plaintext (--insecure)". */
  public String describe() {
    return insecure()
        ? "plaintext (--insecure)"
        : "mutual TLS (certificate " + files.certificate() + ", CAs " + files.trustedCas() + ")";
  }

  /**
   * A Netty server builder on the address that, with TLS, admits only calls from peers whose
   * certificate names one of {@code acceptedClients}; others end UNAUTHENTICATED.
   *
   * @param server the server's name in refusals and logs ("the scheduler")
   */
  public NettyServerBuilder server(
      SocketAddress address, String server, Set<String> acceptedClients) {
    if (insecure()) {
      return NettyServerBuilder.forAddress(address, InsecureServerCredentials.create());
    }
    ServerCredentials credentials =
        TlsServerCredentials.newBuilder()
            .keyManager(keys)
            .trustManager(new DeferredClientTrust(cas))
            .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL)
            .build();
    NettyServerBuilder builder = NettyServerBuilder.forAddress(address, credentials);
    builder.intercept(new PeerAuthenticator(cas, lower(acceptedClients), server));
    return builder;
  }

  /**
   * Credentials for channels to a server whose certificate must name one of {@code expected}
   * (presenting this component's certificate as the client's).
   */
  public ChannelCredentials channel(Set<String> expected) {
    if (insecure()) {
      return InsecureChannelCredentials.create();
    }
    return TlsChannelCredentials.newBuilder()
        .keyManager(keys)
        .trustManager(new ClientTrust(cas, lower(expected)))
        .build();
  }

  private static Set<String> lower(Set<String> names) {
    Set<String> lower = new LinkedHashSet<>();
    names.forEach(name -> lower.add(name.trim().toLowerCase(Locale.ROOT)));
    return lower;
  }

  /** Comma-separated names, trimmed; an empty entry is an error naming the option. */
  public static Set<String> names(String option, String value) {
    Set<String> names = new LinkedHashSet<>();
    for (String name : value.split(",", -1)) {
      String trimmed = name.trim();
      if (trimmed.isEmpty()) {
        throw new IllegalArgumentException(option + ": empty name in '" + value + "'");
      }
      names.add(trimmed);
    }
    return names;
  }

  @Override
  public void close() {
    if (reloads != null) {
      reloads.shutdownNow();
    }
  }

  /**
   * The command-line options every server and client of the platform takes alike: {@code
   * --tls-cert}, {@code --tls-key}, {@code --tls-ca}, or {@code --insecure}.
   */
  public static final class Flags {
    /** For the usage text of each command. */
    public static final String USAGE =
        """
          --tls-cert FILE       this component's certificate chain (PEM); with --tls-key and
                                --tls-ca: mutual TLS on every gRPC connection, files reloaded
                                when they change (./framecast certs makes a development CA)
          --tls-key FILE        its private key (PKCS#8 PEM)
          --tls-ca FILE         the CA certificates (PEM) every peer's certificate must chain to
          --insecure            plaintext gRPC without peer authentication (logs a warning;
                                development on one machine only)
        """;

    private Path certificate;
    private Path key;
    private Path cas;
    private boolean insecure;

    /** Takes {@code --insecure}; returns whether {@code arg} was it. */
    public boolean flag(String arg) {
      switch (arg) {
        case "--insecure" -> insecure = true;
        default -> {
          return false;
        }
      }
      return true;
    }

    /** Takes one of the value options; returns whether {@code arg} was one. */
    public boolean option(String arg, String value) {
      switch (arg) {
        case "--tls-cert" -> certificate = Path.of(value);
        case "--tls-key" -> key = Path.of(value);
        case "--tls-ca" -> cas = Path.of(value);
        default -> {
          return false;
        }
      }
      return true;
    }

    /** Checks the combination: all three files, or --insecure, never both, never neither. */
    public void check() {
      boolean any = certificate != null || key != null || cas != null;
      if (insecure && any) {
        throw new IllegalArgumentException("--insecure and --tls-* exclude each other");
      }
      if (!insecure) {
        if (!any) {
          throw new IllegalArgumentException(
              "TLS is required: give --tls-cert, --tls-key and --tls-ca (./framecast certs makes"
                  + " a development CA), or --insecure for plaintext on one machine");
        }
        String missing =
            String.join(
                ", ",
                Arrays.asList(
                        certificate == null ? "--tls-cert" : null,
                        key == null ? "--tls-key" : null,
                        cas == null ? "--tls-ca" : null)
                    .stream()
                    .filter(java.util.Objects::nonNull)
                    .toList());
        if (!missing.isEmpty()) {
          throw new IllegalArgumentException("mutual TLS also needs " + missing);
        }
      }
    }

    public boolean insecure() {
      return insecure;
    }

    /** The files, or null with --insecure. Call {@link #check()} first. */
    public TlsFiles files() {
      return insecure ? null : new TlsFiles(certificate, key, cas);
    }

    /** What the flags ask for, opened (files read, reloads started). */
    public TransportSecurity open(String component) {
      check();
      return insecure ? TransportSecurity.insecure(component) : mutualTls(files(), RELOAD_EVERY);
    }
  }
}
