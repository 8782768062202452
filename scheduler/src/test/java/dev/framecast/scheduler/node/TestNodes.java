package dev.framecast.scheduler.node;

import java.time.Duration;
import java.util.Set;
import java.util.function.LongSupplier;

/** Nodes for policy tests: never contacted, health set by the test. */
public final class TestNodes {
  private TestNodes() {}

  public static Node ready(String name, LongSupplier clock, String... models) {
    Node node =
        new Node(
            name,
            new TritonClient(
                name, io.grpc.inprocess.InProcessChannelBuilder.forName("unused-" + name).build()),
            new CircuitBreaker(2, Duration.ofSeconds(1), Duration.ofSeconds(8), clock));
    node.setHealth(true, Set.of(models));
    return node;
  }

  /** Marks the node not ready (as when it leaves discovery). */
  public static void down(Node node) {
    node.setHealth(false, Set.of());
  }

  /** Changes the models a node reports ready (e.g. one was unloaded). */
  public static void setModels(Node node, String... models) {
    node.setHealth(true, Set.of(models));
  }
}
