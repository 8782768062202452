package dev.framecast.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The gateway's own settings ({@code framecast.*}; environment: {@code FRAMECAST_*}). */
@ConfigMapping(prefix = "framecast")
public interface GatewayConfig {
  /** Where the scheduler runs, and who issues tokens. */
  enum Mode {
    /** Scheduler and inference node in this process; tokens from the local development issuer. */
    EMBEDDED,
    /** The scheduler over framecast.scheduler.v1; tokens from the OIDC provider (Keycloak). */
    DISTRIBUTED
  }

  @WithDefault("embedded")
  Mode mode();

  Embedded embedded();

  Distributed distributed();

  Oidc oidc();

  Limits limits();

  /** The development issuer's state directory (default $FRAMECAST_HOME or ~/.framecast). */
  Optional<Path> devIssuerDir();

  interface Embedded {
    @WithDefault("triton-models")
    Path modelRepository();

    /** tenants.yaml, watched and reloaded; unset: the bundled demo tenants. */
    Optional<Path> tenantsFile();

    /** Where finished clips are kept; unset: {@code <data-dir>/clips}, or a temporary directory. */
    Optional<Path> clipDirectory();

    /**
     * Where the embedded scheduler keeps its state: the job store {@code jobs.db} (SQLite, no
     * server) and, unless clip-directory is set, the clips. Jobs, their events, idempotency keys
     * and usage survive a restart, and unfinished jobs run on. Unset (and no database): jobs are
     * kept in memory only. {@code ./framecast serve} sets it to a per-user directory.
     */
    Optional<Path> dataDir();

    /**
     * A JDBC URL for the job store instead of {@code <data-dir>/jobs.db}: {@code
     * jdbc:postgresql://HOST:PORT/DB} (with database-user and the password in
     * FRAMECAST_EMBEDDED_DATABASE_PASSWORD) or {@code jdbc:sqlite:FILE}.
     */
    Optional<String> database();

    Optional<String> databaseUser();

    Optional<String> databasePassword();

    @WithDefault("2")
    int renderThreads();

    /**
     * Triton-protocol nodes (host:port, or dns:NAME:PORT) for the embedded scheduler instead of the
     * in-process inference node: how load tests put a simulated fleet behind one gateway.
     */
    Optional<java.util.List<String>> nodes();

    /**
     * The embedded scheduler's policy: {@code continuous} (Framecast's), or the load tests'
     * baselines {@code fcfs} (one job per node, first come first served) and {@code static}
     * (request-level batching).
     */
    @WithDefault("continuous")
    String policy();

    /** Baseline static batching: the most jobs run together. */
    @WithDefault("8")
    int staticBatch();

    /** Baseline static batching: how long a node waits for a full batch. */
    @WithDefault("200ms")
    Duration staticDelay();

    /** Serve the embedded scheduler's Prometheus metrics on this port (-1: off; 0: any port). */
    @WithDefault("-1")
    int schedulerMetricsPort();

    /**
     * Whether {@code POST /v1/dev/token} mints tokens with the framecast-admin role (every tenant's
     * usage) when asked. Off by default: behind a same-host reverse proxy or a port forward every
     * caller is loopback.
     */
    @WithDefault("false")
    boolean devAdminTokens();

    /**
     * Address ranges (CIDR) webhooks may reach although private, loopback or link-local, e.g.
     * 127.0.0.0/8 for a receiver on this machine (./framecast serve --webhook-allow).
     */
    Optional<java.util.List<String>> webhookAllow();

    /** The wait before a webhook delivery's second attempt (it doubles after each failure). */
    @WithDefault("5s")
    Duration webhookRetry();
  }

  interface Distributed {
    /**
     * gRPC reflection of the public API (grpcurl, Postman) on a port of its own beside the
     * management port, bound to the management interface's address, never the public port: -1 turns
     * it off, 0 takes any free port. The services listed there answer UNIMPLEMENTED; calls go to
     * the public port.
     */
    @WithDefault("9001")
    int reflectionPort();

    /** host:port of the scheduler, or dns:///name:port. */
    @WithDefault("localhost:8090")
    String scheduler();

    /** Deadline of each unary call to the scheduler. */
    @WithDefault("10s")
    Duration deadline();

    /**
     * This gateway's certificate chain (PEM) for mutual TLS to the scheduler; with tls-key and
     * tls-ca. The scheduler serves only a certificate naming framecast-gateway. Reloaded when the
     * file changes.
     */
    Optional<Path> tlsCert();

    /** The private key of tls-cert (PKCS#8 PEM). */
    Optional<Path> tlsKey();

    /** The CA certificates (PEM) the scheduler's certificate must chain to. */
    Optional<Path> tlsCa();

    /** The name the scheduler's certificate must carry (common name, DNS or URI name). */
    @WithDefault("framecast-scheduler")
    String schedulerName();

    /**
     * Plaintext to the scheduler, without mutual TLS: anything that can reach the scheduler's port
     * is then every tenant. Off by default; the gateway refuses to start with neither TLS files nor
     * this.
     */
    @WithDefault("false")
    boolean insecure();
  }

  interface Oidc {
    /** The issuer (Keycloak: https://host/realms/framecast); discovery finds its JWKS. */
    Optional<String> issuer();

    /** The audience tokens must carry (Keycloak: an audience mapper on each client). */
    @WithDefault("framecast")
    String audience();

    /** The JWKS URL, when the issuer has no discovery document. */
    Optional<String> jwksUrl();

    /** The claim that names the tenant. */
    @WithDefault("tenant")
    String tenantClaim();

    /**
     * How soon a token signed by an unknown key may make the gateway fetch the JWKS again. quarkus'
     * default is 10 minutes, and any token with a made-up key id uses that refetch up: after a key
     * rotation, new tokens could be refused for that long.
     */
    @WithDefault("30s")
    Duration jwksRefreshInterval();

    /**
     * The public OIDC client the web page signs people in with (authorization code + PKCE, no
     * secret); the page learns it from {@code GET /v1/auth/config}.
     */
    @WithDefault("framecast-web")
    String webClientId();
  }

  interface Limits {
    /** Hard cap on prompt and negative prompt, in UTF-8 bytes, before the pipeline's own limit. */
    @WithDefault("2048")
    int maxPromptBytes();

    /** The longest idempotency key accepted. */
    @WithDefault("128")
    int maxIdempotencyKey();
  }
}
