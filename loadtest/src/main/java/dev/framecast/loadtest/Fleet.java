package dev.framecast.loadtest;

import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.node.sim.SimulatedGpu;
import dev.framecast.node.sim.SimulatedProfile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulated GPU fleet: inference nodes in simulated mode ({@code ./framecast node --simulate}),
 * each its own gRPC server on a loopback port, all in this process so a scenario can stop some of
 * them and read their GPUs' busy time. They serve the model repository's configs over Triton's
 * protocol exactly as real nodes do; only the model execution is a wait.
 */
final class Fleet implements AutoCloseable {
  /** Held so the level set on it stays (java.util.logging keeps loggers weakly). */
  private static final java.util.logging.Logger NODE_LOGS =
      java.util.logging.Logger.getLogger("dev.framecast.node");

  /** The nodes' gRPC servers warn of every stream a stopping gateway breaks: expected here. */
  private static final java.util.logging.Logger GRPC_LOGS =
      java.util.logging.Logger.getLogger("io.grpc.netty.shaded");

  private final List<InferenceNode> nodes;
  private final List<SimulatedGpu> gpus;
  private final boolean[] stopped;

  /** Busy time of stopped nodes, frozen when they stopped. */
  private final long[] frozenBusy;

  private Fleet(List<InferenceNode> nodes) {
    this.nodes = nodes;
    this.gpus = new ArrayList<>();
    for (InferenceNode node : nodes) {
      gpus.add(node.simulatedGpu().orElseThrow());
    }
    this.stopped = new boolean[nodes.size()];
    this.frozenBusy = new long[nodes.size()];
  }

  static Fleet start(Path modelRepository, SimulatedProfile profile, int count) throws IOException {
    // Each node would log its models and its SIMULATED warning; one line for the fleet says it.
    NODE_LOGS.setLevel(java.util.logging.Level.SEVERE);
    GRPC_LOGS.setLevel(java.util.logging.Level.SEVERE);
    List<InferenceNode> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        nodes.add(
            InferenceNode.start(
                NodeOptions.builder(modelRepository)
                    .host("127.0.0.1")
                    .port(0)
                    .metricsPort(-1)
                    .serverName("simulated-node-" + i)
                    .simulate(profile)
                    .build()));
      }
    } catch (IOException | RuntimeException e) {
      nodes.forEach(InferenceNode::close);
      throw e;
    }
    java.util.logging.Logger.getLogger(Fleet.class.getName())
        .warning(
            "SIMULATED fleet of "
                + count
                + " nodes: no models run, each request waits the latency of "
                + profile.source()
                + " x "
                + profile.timeScale()
                + " (load tests only)");
    return new Fleet(nodes);
  }

  List<String> addresses() {
    List<String> addresses = new ArrayList<>();
    for (InferenceNode node : nodes) {
      addresses.add("127.0.0.1:" + node.port());
    }
    return addresses;
  }

  int size() {
    return nodes.size();
  }

  synchronized int up() {
    int up = 0;
    for (boolean s : stopped) {
      up += s ? 0 : 1;
    }
    return up;
  }

  /** Stops node {@code index} abruptly, as a crashed machine: its calls in flight fail. */
  synchronized void stop(int index) {
    if (stopped[index]) {
      return;
    }
    stopped[index] = true;
    frozenBusy[index] = gpus.get(index).busyNanos();
    nodes.get(index).faults().stopAbruptly();
  }

  /** GPU busy time summed over the fleet (a stopped node's as of its stop). */
  synchronized long busyNanos() {
    long busy = 0;
    for (int i = 0; i < nodes.size(); i++) {
      busy += stopped[i] ? frozenBusy[i] : gpus.get(i).busyNanos();
    }
    return busy;
  }

  @Override
  public void close() {
    for (InferenceNode node : nodes) {
      node.close();
    }
  }
}
