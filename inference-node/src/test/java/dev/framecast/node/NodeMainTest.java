package dev.framecast.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.framecast.node.fault.FaultInjector;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeMainTest {
  @Test
  void defaultsAreTritonsPorts() {
    NodeOptions options = NodeMain.parse(new String[0], new ArrayList<>()).build();
    assertThat(options.port()).isEqualTo(8001);
    assertThat(options.metricsPort()).isEqualTo(8002);
    assertThat(options.modelRepository().toString()).isEqualTo("triton-models");
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
  void helpReturnsNoOptions() {
    assertThat(NodeMain.parse(new String[] {"--help"}, new ArrayList<>())).isNull();
  }
}
