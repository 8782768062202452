package dev.framecast.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.framecast.common.tls.TlsFiles;
import dev.framecast.common.tls.TransportSecurity;
import dev.framecast.node.fault.FaultInjector;
import dev.framecast.node.infer.OutputOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeMainTest {
  @Test
  void defaultsAreTritonsPorts() {
    NodeOptions options = NodeMain.parse(new String[0], new ArrayList<>()).build();
    assertThat(options.port()).isEqualTo(8001);
    assertThat(options.metricsPort()).isEqualTo(8002);
    assertThat(options.modelRepository().toString()).isEqualTo("triton-models");
    assertThat(options.outputOrder()).isEqualTo(OutputOrder.NAME);
  }

  @Test
  void outputOrderIsParsedAndABadOneIsAClearError() {
    assertThat(
            NodeMain.parse(new String[] {"--output-order", "shuffle"}, new ArrayList<>())
                .build()
                .outputOrder())
        .isEqualTo(OutputOrder.SHUFFLE);
    assertThatThrownBy(
            () -> NodeMain.parse(new String[] {"--output-order", "config"}, new ArrayList<>()))
        .hasMessage("output order must be name, request, reverse or shuffle, got 'config'");
  }

  @Test
  void optionsAndFaultsAreParsed() {
    List<String[]> faults = new ArrayList<>();
    NodeOptions options =
        NodeMain.parse(
                new String[] {
                  "--model-repository", "/models", "--port", "0", "--metrics-port", "-1",
                  "--load-model", "dit", "--fault-fail", "dit=2", "--fault-not-ready", "*"
                },
                faults)
            .build();
    assertThat(options.models()).containsExactly("dit");
    FaultInjector injector = new FaultInjector();
    NodeMain.apply(injector, faults);
    assertThat(injector.serverNotReady()).isTrue();
  }

  @Test
  void badInputIsAClearError() {
    assertThatThrownBy(() -> NodeMain.parse(new String[] {"--port", "x"}, new ArrayList<>()))
        .hasMessage("--port expects an integer, got 'x'");
    assertThatThrownBy(() -> NodeMain.parse(new String[] {"--port", "70000"}, new ArrayList<>()))
        .hasMessageContaining("port must be in [0, 65535]");
    assertThatThrownBy(() -> NodeMain.parse(new String[] {"--bogus", "1"}, new ArrayList<>()))
        .hasMessage("unknown option '--bogus'");
    assertThatThrownBy(() -> NodeMain.parse(new String[] {"--port"}, new ArrayList<>()))
        .hasMessage("--port needs a value");
    assertThatThrownBy(() -> FaultInjector.parse("dit")).hasMessageContaining("MODEL=VALUE");
  }

  @Test
  void simulateLoadsTheProfileWithItsTimeScale(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("h100.csv");
    Files.writeString(file, "model,batch,latency_ms\ndit,1,4.5\n");
    assertThat(NodeMain.parse(new String[0], new ArrayList<>()).build().simulate()).isNull();
    NodeOptions options =
        NodeMain.parse(
                new String[] {"--simulate", file.toString(), "--time-scale", "10"},
                new ArrayList<>())
            .build();
    assertThat(options.simulate().source()).isEqualTo(file.toString());
    assertThat(options.simulate().timeScale()).isEqualTo(10);
    assertThat(options.simulate().latency("dit", 1)).isEqualTo(Duration.ofMillis(45));
    assertThat(
            NodeMain.parse(new String[] {"--simulate", file.toString()}, new ArrayList<>())
                .build()
                .simulate()
                .timeScale())
        .isEqualTo(1);
  }

  @Test
  void simulationMistakesAreClearErrors(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.csv");
    Files.writeString(file, "dit,1,4.5\nvae,one,2\n");
    assertThatThrownBy(() -> parse("--time-scale", "2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--time-scale needs --simulate PROFILE.csv");
    assertThatThrownBy(() -> parse("--simulate", file.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--simulate: " + file + ":2: batch must be an integer >= 1");
    Path missing = dir.resolve("missing.csv");
    assertThatThrownBy(() -> parse("--simulate", missing.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--simulate: cannot read profile " + missing + ": no such file");
    Files.writeString(file, "dit,1,4.5\n");
    assertThatThrownBy(() -> parse("--simulate", file.toString(), "--time-scale", "fast"))
        .hasMessage("--time-scale expects a number, got 'fast'");
    assertThatThrownBy(() -> parse("--simulate", file.toString(), "--time-scale", "0"))
        .hasMessage("--time-scale must be a finite number >= 0.001, got 0.0");
  }

  private static NodeOptions.Builder parse(String... args) {
    return NodeMain.parse(args, new ArrayList<>());
  }

  @Test
  void helpReturnsNoOptions() {
    assertThat(NodeMain.parse(new String[] {"--help"}, new ArrayList<>())).isNull();
  }

  @Test
  void mutualTlsOrAnExplicitInsecureIsRequired() {
    TransportSecurity.Flags plain = new TransportSecurity.Flags();
    NodeMain.parse(new String[0], new ArrayList<>(), plain, new LinkedHashSet<>());
    assertThatThrownBy(plain::check).hasMessageContaining("TLS is required");

    TransportSecurity.Flags insecure = new TransportSecurity.Flags();
    NodeOptions options =
        NodeMain.parse(
                new String[] {"--insecure", "--port", "0"},
                new ArrayList<>(),
                insecure,
                new LinkedHashSet<>())
            .build();
    insecure.check();
    assertThat(insecure.insecure()).isTrue();
    assertThat(options.port()).isZero();

    TransportSecurity.Flags tls = new TransportSecurity.Flags();
    Set<String> clients = new LinkedHashSet<>();
    NodeMain.parse(
        new String[] {
          "--tls-cert",
          "n.pem",
          "--tls-key",
          "n-key.pem",
          "--tls-ca",
          "ca.pem",
          "--tls-clients",
          "framecast-scheduler,loadtest"
        },
        new ArrayList<>(),
        tls,
        clients);
    tls.check();
    assertThat(tls.files())
        .isEqualTo(new TlsFiles(Path.of("n.pem"), Path.of("n-key.pem"), Path.of("ca.pem")));
    assertThat(clients).containsExactly("framecast-scheduler", "loadtest");
  }
}
