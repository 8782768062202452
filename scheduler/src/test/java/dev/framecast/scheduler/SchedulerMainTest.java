package dev.framecast.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.framecast.common.tls.TlsFiles;
import dev.framecast.scheduler.engine.SchedulingPolicy;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SchedulerMainTest {
  @Test
  void defaultsAndOptions() {
    SchedulerMain.Args defaults = SchedulerMain.parse(new String[0]);
    assertThat(defaults.port()).isEqualTo(8090);
    assertThat(defaults.nodes()).containsExactly("localhost:8001");
    SchedulerMain.Args args =
        SchedulerMain.parse(
            new String[] {
              "--nodes", "a:8001, b:8011", "--clip-retention", "12h", "--metrics-port", "-1"
            });
    assertThat(args.nodes()).containsExactly("a:8001", "b:8011");
    assertThat(args.retention()).isEqualTo(Duration.ofHours(12));
    assertThat(args.metricsPort()).isEqualTo(-1);
    assertThat(SchedulerMain.parse(new String[] {"--help"})).isNull();
  }

  @Test
  void badOptionsAreClearErrors() {
    assertThatThrownBy(() -> SchedulerMain.parse(new String[] {"--nodes", "a"}))
        .hasMessageContaining("host:port");
    assertThatThrownBy(() -> SchedulerMain.parse(new String[] {"--clip-retention", "7 days"}))
        .hasMessageContaining("like 7d");
    assertThatThrownBy(() -> SchedulerMain.parse(new String[] {"--port", "99999"}))
        .hasMessageContaining("[0, 65535]");
    assertThatThrownBy(() -> SchedulerMain.parse(new String[] {"--what", "x"}))
        .hasMessageContaining("unknown option");
  }

  @Test
  void theJobStoreIsOptionalAndNamedByAJdbcUrl() {
    assertThat(SchedulerMain.parse(new String[0]).database()).isNull();
    SchedulerServer.Database database =
        SchedulerMain.database("jdbc:postgresql://db:5432/framecast", "framecast", "secret");
    assertThat(database.url()).isEqualTo("jdbc:postgresql://db:5432/framecast");
    assertThat(database.toString()).doesNotContain("secret");
    assertThat(
            SchedulerMain.parse(new String[] {"--database", "jdbc:sqlite:/var/lib/jobs.db"})
                .database()
                .url())
        .isEqualTo("jdbc:sqlite:/var/lib/jobs.db");
    assertThatThrownBy(
            () -> SchedulerMain.parse(new String[] {"--database", "postgres://db/framecast"}))
        .hasMessageContaining("--database expects jdbc:postgresql://");
    assertThatThrownBy(() -> SchedulerMain.parse(new String[] {"--database-user", "framecast"}))
        .hasMessageContaining("--database-user needs --database");
  }

  @Test
  void schedulingPolicies() {
    assertThat(SchedulerMain.parse(new String[0]).policy())
        .isEqualTo(SchedulingPolicy.continuous());
    assertThat(SchedulerMain.parse(new String[] {"--policy", "fcfs"}).policy())
        .isEqualTo(SchedulingPolicy.fcfs());
    assertThat(SchedulerMain.parse(new String[] {"--policy", "static"}).policy())
        .isEqualTo(SchedulingPolicy.staticBatching(8, Duration.ofMillis(200)));
    assertThat(
            SchedulerMain.parse(
                    new String[] {
                      "--static-batch", "4", "--static-delay-ms", "0", "--policy", "static"
                    })
                .policy())
        .isEqualTo(SchedulingPolicy.staticBatching(4, Duration.ZERO));
  }

  @Test
  void badPolicyOptionsAreClearErrors() {
    assertThatThrownBy(() -> SchedulerMain.parse(new String[] {"--policy", "fifo"}))
        .hasMessageContaining("continuous, fcfs or static")
        .hasMessageContaining("'fifo'");
    assertThatThrownBy(
            () -> SchedulerMain.parse(new String[] {"--policy", "static", "--static-batch", "0"}))
        .hasMessageContaining("--static-batch must be at least 1");
    assertThatThrownBy(
            () -> SchedulerMain.parse(new String[] {"--policy", "static", "--static-batch", "x"}))
        .hasMessageContaining("--static-batch expects an integer");
    assertThatThrownBy(
            () ->
                SchedulerMain.parse(new String[] {"--policy", "static", "--static-delay-ms", "-5"}))
        .hasMessageContaining("--static-delay-ms must be at least 0");
    assertThatThrownBy(() -> SchedulerMain.parse(new String[] {"--static-batch", "4"}))
        .hasMessageContaining("only to --policy static");
    assertThatThrownBy(
            () -> SchedulerMain.parse(new String[] {"--policy", "fcfs", "--static-delay-ms", "5"}))
        .hasMessageContaining("--static-delay-ms applies only to --policy static");
    assertThatThrownBy(() -> SchedulerMain.parse(new String[] {"--policy"}))
        .hasMessageContaining("--policy needs a value");
  }

  @Test
  void mutualTlsOrAnExplicitInsecureIsRequired() {
    SchedulerMain.Args plain = SchedulerMain.parse(new String[0]);
    assertThatThrownBy(() -> plain.tls().check()).hasMessageContaining("TLS is required");
    assertThat(plain.tlsClients()).containsExactly("framecast-gateway");
    assertThat(plain.tlsNodes()).containsExactly("framecast-node");

    SchedulerMain.Args insecure = SchedulerMain.parse(new String[] {"--insecure", "--port", "0"});
    insecure.tls().check();
    assertThat(insecure.tls().insecure()).isTrue();
    assertThat(insecure.port()).isZero();

    SchedulerMain.Args tls =
        SchedulerMain.parse(
            new String[] {
              "--tls-cert", "s.pem",
              "--tls-key", "s-key.pem",
              "--tls-ca", "ca.pem",
              "--tls-clients", "framecast-gateway, ops-console",
              "--tls-nodes", "triton"
            });
    tls.tls().check();
    assertThat(tls.tls().files())
        .isEqualTo(new TlsFiles(Path.of("s.pem"), Path.of("s-key.pem"), Path.of("ca.pem")));
    assertThat(tls.tlsClients()).containsExactly("framecast-gateway", "ops-console");
    assertThat(tls.tlsNodes()).containsExactly("triton");

    assertThatThrownBy(
            () ->
                SchedulerMain.parse(new String[] {"--insecure", "--tls-ca", "ca.pem"})
                    .tls()
                    .check())
        .hasMessageContaining("exclude each other");
    assertThatThrownBy(() -> SchedulerMain.parse(new String[] {"--tls-clients", "a,,b"}))
        .hasMessageContaining("--tls-clients: empty name");
  }
}
