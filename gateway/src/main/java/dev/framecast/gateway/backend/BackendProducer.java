package dev.framecast.gateway.backend;

import dev.framecast.common.tls.TlsFiles;
import dev.framecast.common.tls.TransportSecurity;
import dev.framecast.gateway.GatewayConfig;
import dev.framecast.gateway.drain.Drain;
import dev.framecast.scheduler.SchedulerServer;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.engine.SchedulingPolicy;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.jboss.logging.Logger;

/** Makes the backend the configured mode asks for, at startup, and closes it at shutdown. */
@ApplicationScoped
public class BackendProducer {
  private static final Logger LOG = Logger.getLogger(BackendProducer.class);

  private Backend backend;

  /** The clip directory this gateway made for itself (no data directory given), removed at stop. */
  private Path temporaryClips;

  @Produces
  @Singleton
  @Startup
  Backend backend(GatewayConfig config, MeterRegistry registry, Drain drain) throws IOException {
    backend =
        switch (config.mode()) {
          case EMBEDDED -> {
            GatewayConfig.Embedded embedded = config.embedded();
            Path clips;
            if (embedded.clipDirectory().isPresent()) {
              clips = embedded.clipDirectory().get();
            } else if (embedded.dataDir().isPresent()) {
              clips = embedded.dataDir().get().resolve("clips");
            } else {
              temporaryClips = Files.createTempDirectory("framecast-clips");
              clips = temporaryClips;
            }
            yield new EmbeddedBackend(
                    new EmbeddedBackend.Settings(
                        embedded.modelRepository(),
                        embedded.tenantsFile().orElse(null),
                        clips,
                        embedded.renderThreads(),
                        embedded.nodes().orElse(List.of()),
                        EngineConfig.builder().policy(policy(embedded)).build(),
                        embedded.schedulerMetricsPort(),
                        database(embedded),
                        dev.framecast.scheduler.webhook.WebhookConfig.of(
                            embedded.webhookAllow().orElse(List.of()),
                            List.of(),
                            dev.framecast.scheduler.webhook.WebhookConfig.DEFAULT.maxAttempts(),
                            embedded.webhookRetry())))
                .closeOnStopSignal(drain::stop);
          }
          case DISTRIBUTED ->
              new RemoteBackend(
                  config.distributed().scheduler(),
                  config.distributed().deadline().toMillis(),
                  transport(config.distributed()),
                  config.distributed().schedulerName());
        };
    String mode = config.mode().name().toLowerCase(Locale.ROOT);
    LOG.infof("framecast gateway: %s mode, %s", config.mode(), backend.describe());
    String host =
        org.eclipse.microprofile.config.ConfigProvider.getConfig()
            .getOptionalValue("quarkus.http.host", String.class)
            .orElse("0.0.0.0");
    if (config.mode() == GatewayConfig.Mode.EMBEDDED && !loopback(host)) {
      LOG.warnf(
          "embedded mode listening on %s, beyond this machine: it trusts development tokens (any"
              + " local user can mint one for any tenant); bind 127.0.0.1 (./framecast serve's"
              + " default) unless every client on that network is trusted",
          host);
    }
    // An info metric, so dashboards (and load-test reports) show which backend served the numbers.
    Gauge.builder("framecast.gateway.backend", () -> 1)
        .description("The backend mode of this gateway (the mode label); always 1")
        .tag("mode", mode)
        .register(registry);
    return backend;
  }

  /**
   * Mutual TLS to the scheduler from framecast.distributed.tls-cert, tls-key and tls-ca, or
   * plaintext when framecast.distributed.insecure is set; neither (or both) is an error naming the
   * settings.
   */
  static TransportSecurity transport(GatewayConfig.Distributed distributed) {
    boolean any =
        distributed.tlsCert().isPresent()
            || distributed.tlsKey().isPresent()
            || distributed.tlsCa().isPresent();
    if (distributed.insecure()) {
      if (any) {
        throw new IllegalArgumentException(
            "framecast.distributed.insecure and framecast.distributed.tls-* exclude each other");
      }
      return TransportSecurity.insecure("the gateway's channel to the scheduler");
    }
    if (distributed.tlsCert().isEmpty()
        || distributed.tlsKey().isEmpty()
        || distributed.tlsCa().isEmpty()) {
      throw new IllegalArgumentException(
          "distributed mode needs mutual TLS to the scheduler: set framecast.distributed.tls-cert,"
              + " tls-key and tls-ca (FRAMECAST_DISTRIBUTED_TLS_CERT, ..._KEY, ..._CA; ./framecast"
              + " certs makes a development CA), or framecast.distributed.insecure=true for"
              + " plaintext on one machine");
    }
    return TransportSecurity.mutualTls(
        new TlsFiles(
            distributed.tlsCert().get(), distributed.tlsKey().get(), distributed.tlsCa().get()),
        TransportSecurity.RELOAD_EVERY);
  }

  /** Whether {@code host} (a bind address) is reachable from this machine only. */
  static boolean loopback(String host) {
    try {
      return java.net.InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /** The embedded scheduler's job store: the database named, or jobs.db in the data directory. */
  static SchedulerServer.Database database(GatewayConfig.Embedded embedded) {
    if (embedded.database().isPresent()) {
      return new SchedulerServer.Database(
          embedded.database().get(),
          embedded.databaseUser().orElse(null),
          embedded.databasePassword().orElse(null));
    }
    return embedded
        .dataDir()
        .map(
            dir ->
                new SchedulerServer.Database("jdbc:sqlite:" + dir.resolve("jobs.db"), null, null))
        .orElse(null);
  }

  /** framecast.embedded.policy and its static-batching settings, checked. */
  static SchedulingPolicy policy(GatewayConfig.Embedded embedded) {
    return switch (embedded.policy().trim().toLowerCase(Locale.ROOT)) {
      case "continuous" -> SchedulingPolicy.continuous();
      case "fcfs" -> SchedulingPolicy.fcfs();
      case "static" -> {
        try {
          yield SchedulingPolicy.staticBatching(embedded.staticBatch(), embedded.staticDelay());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "framecast.embedded.static-batch / static-delay: " + e.getMessage(), e);
        }
      }
      default ->
          throw new IllegalArgumentException(
              "framecast.embedded.policy: expected continuous, fcfs or static, got '"
                  + embedded.policy()
                  + "'");
    };
  }

  void stop(@Observes ShutdownEvent event) {
    if (backend != null) {
      backend.close();
    }
    if (temporaryClips != null) {
      deleteTree(temporaryClips);
      temporaryClips = null;
    }
  }

  /**
   * Removes a clip directory and what is in it. Without a data directory nothing outlives the
   * process (no job store), so its clips would only be litter in the system's temporary directory.
   */
  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (java.util.stream.Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      LOG.warnf("could not remove the temporary clip directory %s: %s", root, e.getMessage());
    }
  }
}
