package dev.framecast.scheduler.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class NodeDiscoveryTest {
  @Test
  void dnsEntriesBecomeOneNodePerAddressAndALookupFailureKeepsTheLast() {
    AtomicReference<List<String>> answer = new AtomicReference<>(List.of("10.0.0.1", "10.0.0.2"));
    AtomicReference<Boolean> fail = new AtomicReference<>(false);
    NodeDiscovery discovery =
        new NodeDiscovery(
            List.of("static:8001", "dns:triton.svc:8001"),
            name -> {
              if (fail.get()) {
                throw new UnknownHostException(name);
              }
              return answer.get();
            });
    assertThat(discovery.addresses())
        .containsExactly("static:8001", "10.0.0.1:8001", "10.0.0.2:8001");
    fail.set(true);
    assertThat(discovery.addresses())
        .containsExactly("static:8001", "10.0.0.1:8001", "10.0.0.2:8001");
    fail.set(false);
    answer.set(List.of("10.0.0.2", "fd00::1"));
    assertThat(discovery.addresses())
        .containsExactly("static:8001", "10.0.0.2:8001", "[fd00::1]:8001");
  }

  @Test
  void badEntriesAreRejected() {
    assertThatThrownBy(() -> new NodeDiscovery(List.of("dns:name"), n -> List.of()))
        .hasMessageContaining("host:port or dns:name:port");
    assertThatThrownBy(() -> new NodeDiscovery(List.of("host:99999"), n -> List.of()))
        .hasMessageContaining("bad port");
  }

  @Test
  void nodesJoinAndLeaveThePoolAsTheNameResolvesDifferently() throws Exception {
    Path repository = Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
    try (InferenceNode first =
            InferenceNode.start(
                NodeOptions.builder(repository)
                    .host("127.0.0.1")
                    .port(0)
                    .metricsPort(-1)
                    .loadModel("vae")
                    .build());
        InferenceNode second =
            InferenceNode.start(
                NodeOptions.builder(repository)
                    .host("127.0.0.2")
                    .port(first.port())
                    .metricsPort(-1)
                    .loadModel("vae")
                    .build())) {
      AtomicReference<List<String>> answer =
          new AtomicReference<>(List.of("127.0.0.1", "127.0.0.2"));
      NodeDiscovery discovery =
          new NodeDiscovery(List.of("dns:fleet:" + first.port()), name -> answer.get());
      try (NodePool pool =
          new NodePool(
              discovery,
              address ->
                  new Node(
                      address,
                      new TritonClient(address, 64 << 20),
                      new CircuitBreaker(
                          3, Duration.ofSeconds(1), Duration.ofSeconds(5), System::nanoTime)),
              Set.of("vae"),
              Duration.ofSeconds(5))) {
        pool.checkAll().join();
        assertThat(pool.healthy(Set.of("vae"))).hasSize(2);

        answer.set(List.of("127.0.0.1"));
        pool.checkAll().join();
        assertThat(pool.healthy(Set.of("vae")))
            .extracting(Node::name)
            .containsExactly("127.0.0.1:" + first.port());

        answer.set(List.of("127.0.0.1", "127.0.0.2"));
        pool.checkAll().join();
        assertThat(pool.healthy(Set.of("vae"))).hasSize(2);
        assertThat(pool.nodes()).hasSize(2); // the returning address reuses its node

        // Gone for good (a restarted pod's old address): removed after a few rounds, its channel
        // closed, and the listeners told.
        List<Node> removed = new java.util.concurrent.CopyOnWriteArrayList<>();
        pool.onRemoved(removed::add);
        Node leaving =
            pool.nodes().stream()
                .filter(n -> n.name().startsWith("127.0.0.2:"))
                .findFirst()
                .orElseThrow();
        answer.set(List.of("127.0.0.1"));
        for (int round = 1; round < NodePool.REMOVE_AFTER_ROUNDS; round++) {
          pool.checkAll().join();
        }
        assertThat(pool.nodes()).hasSize(2);
        assertThat(removed).isEmpty();
        pool.checkAll().join();
        assertThat(pool.nodes())
            .extracting(Node::name)
            .containsExactly("127.0.0.1:" + first.port());
        assertThat(removed).containsExactly(leaving);
        assertThatThrownBy(() -> leaving.client().serverReady(Duration.ofSeconds(5)).join())
            .as("its channel is closed")
            .hasRootCauseInstanceOf(io.grpc.StatusRuntimeException.class);

        // Should the address come back, it is a new node.
        answer.set(List.of("127.0.0.1", "127.0.0.2"));
        pool.checkAll().join();
        assertThat(pool.healthy(Set.of("vae"))).hasSize(2);
        assertThat(pool.nodes()).doesNotContain(leaving);
      }
    }
  }
}
