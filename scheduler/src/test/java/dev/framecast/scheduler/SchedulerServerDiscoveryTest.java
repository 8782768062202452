package dev.framecast.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scheduler as deployed: nodes named by DNS (a Kubernetes headless service). */
class SchedulerServerDiscoveryTest {
  @TempDir Path clips;

  @Test
  void dnsEntriesResolveToNodesThatServeThePipeline() throws Exception {
    Path repository = Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
    try (InferenceNode node =
            InferenceNode.start(
                NodeOptions.builder(repository).host("127.0.0.1").port(0).metricsPort(-1).build());
        SchedulerServer scheduler =
            new SchedulerServer(
                new SchedulerServer.Options(
                    List.of("dns:localhost:" + node.port()),
                    List.of(PipelineSpec.reference()),
                    null,
                    clips,
                    Duration.ofHours(1),
                    EngineConfig.defaults(),
                    1),
                Renderers.standard())) {
      List<Node> nodes = scheduler.engine().pool().nodes();
      assertThat(nodes).extracting(Node::name).contains("127.0.0.1:" + node.port());
      assertThat(nodes)
          .filteredOn(n -> n.name().equals("127.0.0.1:" + node.port()))
          .allMatch(Node::ready);
    }
  }
}
