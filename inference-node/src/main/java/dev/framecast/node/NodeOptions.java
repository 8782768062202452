package dev.framecast.node;

import dev.framecast.node.infer.OutputOrder;
import dev.framecast.node.sim.SimulatedProfile;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * How to start an {@link InferenceNode}. Defaults follow Triton: gRPC on 8001, metrics on 8002.
 *
 * @param modelRepository the Triton model repository to serve
 * @param host address to bind
 * @param port gRPC port (0 = any free port)
 * @param metricsPort Prometheus /metrics port (0 = any free port, -1 = no metrics server)
 * @param intraOpThreads ONNX Runtime intra-op threads per session (0 = ONNX Runtime's default)
 * @param maxQueueSize queue bound per model version when its config sets none
 * @param maxMessageBytes largest gRPC message accepted (video-sized tensors need far more than
 *     gRPC's 4 MiB default)
 * @param models models to load (empty = every model directory)
 * @param serverName name reported by ServerMetadata
 * @param simulate null to run the models; a profile to simulate them for load tests (no model runs,
 *     each request waits the profile's latency on the node's one simulated GPU)
 * @param outputOrder the order responses list their outputs in: by name, as Triton's ONNX Runtime
 *     backend does (the default); the others are for tests of clients
 */
public record NodeOptions(
    Path modelRepository,
    String host,
    int port,
    int metricsPort,
    int intraOpThreads,
    int maxQueueSize,
    int maxMessageBytes,
    Set<String> models,
    String serverName,
    SimulatedProfile simulate,
    OutputOrder outputOrder) {

  public NodeOptions {
    Objects.requireNonNull(modelRepository, "modelRepository");
    Objects.requireNonNull(outputOrder, "outputOrder");
    models = Set.copyOf(models);
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
    }
    if (metricsPort < -1 || metricsPort > 65535) {
      throw new IllegalArgumentException("metrics port must be in [-1, 65535], got " + metricsPort);
    }
    if (maxQueueSize < 1) {
      throw new IllegalArgumentException("max queue size must be >= 1, got " + maxQueueSize);
    }
    if (maxMessageBytes < 4 << 20) {
      throw new IllegalArgumentException("max message size must be >= 4 MiB");
    }
  }

  public static Builder builder(Path modelRepository) {
    return new Builder(modelRepository);
  }

  /** Builder with Triton's defaults. */
  public static final class Builder {
    private final Path modelRepository;
    private String host = "0.0.0.0";
    private int port = 8001;
    private int metricsPort = 8002;
    private int intraOpThreads = 0;
    private int maxQueueSize = 1024;
    private int maxMessageBytes = 512 << 20;
    private final Set<String> models = new LinkedHashSet<>();
    private String serverName = "framecast-inference-node";
    private SimulatedProfile simulate;
    private OutputOrder outputOrder = OutputOrder.NAME;

    private Builder(Path modelRepository) {
      this.modelRepository = modelRepository;
    }

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder metricsPort(int metricsPort) {
      this.metricsPort = metricsPort;
      return this;
    }

    public Builder intraOpThreads(int threads) {
      this.intraOpThreads = threads;
      return this;
    }

    public Builder maxQueueSize(int size) {
      this.maxQueueSize = size;
      return this;
    }

    public Builder maxMessageBytes(int bytes) {
      this.maxMessageBytes = bytes;
      return this;
    }

    public Builder loadModel(String model) {
      this.models.add(model);
      return this;
    }

    public Builder serverName(String name) {
      this.serverName = name;
      return this;
    }

    /** Simulates the models with this profile instead of running them (load tests only). */
    public Builder simulate(SimulatedProfile profile) {
      this.simulate = profile;
      return this;
    }

    /** The order responses list their outputs in (default: by name, as Triton does). */
    public Builder outputOrder(OutputOrder order) {
      this.outputOrder = order;
      return this;
    }

    public NodeOptions build() {
      return new NodeOptions(
          modelRepository,
          host,
          port,
          metricsPort,
          intraOpThreads,
          maxQueueSize,
          maxMessageBytes,
          models,
          serverName,
          simulate,
          outputOrder);
    }
  }
}
