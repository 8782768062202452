package dev.framecast.gateway.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.framecast.gateway.GatewayConfig;
import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.node.sim.SimulatedProfile;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.engine.SchedulingPolicy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded mode's load-test settings: the policy setting, and the embedded scheduler driving
 * external nodes (here one simulated node) with its metrics on a port.
 */
class EmbeddedSettingsTest {
  static final Path MODELS = Path.of("..", "triton-models").toAbsolutePath().normalize();

  @TempDir Path dir;

  static GatewayConfig.Embedded embedded(String policy, int batch, Duration delay) {
    return embedded(policy, batch, delay, null, null);
  }

  static GatewayConfig.Embedded embedded(
      String policy, int batch, Duration delay, Path dataDir, String database) {
    return new GatewayConfig.Embedded() {
      @Override
      public Optional<Path> dataDir() {
        return Optional.ofNullable(dataDir);
      }

      @Override
      public Optional<String> database() {
        return Optional.ofNullable(database);
      }

      @Override
      public Optional<String> databaseUser() {
        return Optional.of("framecast");
      }

      @Override
      public Optional<String> databasePassword() {
        return Optional.of("secret");
      }

      @Override
      public Path modelRepository() {
        return MODELS;
      }

      @Override
      public Optional<Path> tenantsFile() {
        return Optional.empty();
      }

      @Override
      public Optional<Path> clipDirectory() {
        return Optional.empty();
      }

      @Override
      public int renderThreads() {
        return 1;
      }

      @Override
      public Optional<List<String>> nodes() {
        return Optional.empty();
      }

      @Override
      public String policy() {
        return policy;
      }

      @Override
      public int staticBatch() {
        return batch;
      }

      @Override
      public Duration staticDelay() {
        return delay;
      }

      @Override
      public int schedulerMetricsPort() {
        return -1;
      }

      @Override
      public boolean devAdminTokens() {
        return false;
      }

      @Override
      public Optional<List<String>> webhookAllow() {
        return Optional.empty();
      }

      @Override
      public Duration webhookRetry() {
        return Duration.ofSeconds(5);
      }
    };
  }

  @Test
  void policySettingMapsToTheSchedulersPolicies() {
    assertThat(BackendProducer.policy(embedded("continuous", 8, Duration.ZERO)))
        .isInstanceOf(SchedulingPolicy.Continuous.class);
    assertThat(BackendProducer.policy(embedded(" FCFS ", 8, Duration.ZERO)))
        .isInstanceOf(SchedulingPolicy.Fcfs.class);
    assertThat(BackendProducer.policy(embedded("static", 4, Duration.ofMillis(250))))
        .isEqualTo(new SchedulingPolicy.StaticBatching(4, Duration.ofMillis(250)));
  }

  @Test
  void theJobStoreIsTheDataDirectorysSqliteFileOrTheDatabaseNamed() {
    assertThat(BackendProducer.database(embedded("continuous", 8, Duration.ZERO))).isNull();
    assertThat(
            BackendProducer.database(
                    embedded("continuous", 8, Duration.ZERO, Path.of("/data/framecast"), null))
                .url())
        .isEqualTo("jdbc:sqlite:/data/framecast/jobs.db");
    var postgres =
        BackendProducer.database(
            embedded(
                "continuous",
                8,
                Duration.ZERO,
                Path.of("/data/framecast"),
                "jdbc:postgresql://db:5432/framecast"));
    assertThat(postgres.url()).isEqualTo("jdbc:postgresql://db:5432/framecast");
    assertThat(postgres.user()).isEqualTo("framecast");
    assertThat(postgres.password()).isEqualTo("secret");
  }

  @Test
  void badPolicySettingsAreRefusedByName() {
    assertThatThrownBy(() -> BackendProducer.policy(embedded("fifo", 8, Duration.ZERO)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("framecast.embedded.policy")
        .hasMessageContaining("'fifo'");
    assertThatThrownBy(() -> BackendProducer.policy(embedded("static", 0, Duration.ZERO)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("framecast.embedded.static-batch");
  }

  @Test
  void embeddedSchedulerDrivesExternalNodesAndServesItsMetrics() throws Exception {
    Path profile = dir.resolve("tiny.csv");
    java.nio.file.Files.writeString(
        profile, "model,batch,latency_ms\ndit,1,1\ntext_encoder,1,1\nvae,1,1\n");
    try (InferenceNode node =
        InferenceNode.start(
            NodeOptions.builder(MODELS)
                .host("127.0.0.1")
                .port(0)
                .metricsPort(-1)
                .simulate(SimulatedProfile.load(profile))
                .build())) {
      int metricsPort;
      try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
        metricsPort = socket.getLocalPort();
      }
      try (EmbeddedBackend backend =
          new EmbeddedBackend(
              new EmbeddedBackend.Settings(
                  dir.resolve("no-models-here"),
                  null,
                  dir.resolve("clips"),
                  1,
                  List.of("127.0.0.1:" + node.port()),
                  EngineConfig.builder().policy(SchedulingPolicy.fcfs()).build(),
                  metricsPort))) {
        assertThat(backend.describe()).contains("127.0.0.1:" + node.port());
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!backend.ready() && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertThat(backend.ready()).isTrue();
        assertThat(backend.scheduler().engine().policy()).isInstanceOf(SchedulingPolicy.Fcfs.class);
        String metrics =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(metrics).contains("framecast_scheduler_loop_cpu_seconds_total");
      }
    }
  }
}
