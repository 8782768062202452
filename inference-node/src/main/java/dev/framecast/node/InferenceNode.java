package dev.framecast.node;

import ai.onnxruntime.OrtEnvironment;
import dev.framecast.node.fault.FaultInjector;
import dev.framecast.node.grpc.InferenceService;
import dev.framecast.node.metrics.NodeMetrics;
import dev.framecast.node.repository.LoadedModel;
import dev.framecast.node.repository.ModelRepository;
import dev.framecast.node.sim.SimulatedGpu;
import dev.framecast.node.sim.SimulatedProfile;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A running inference node: the model repository loaded into ONNX Runtime, served over Triton's
 * gRPC protocol, with grpc.health.v1, reflection and Prometheus metrics. With {@link
 * NodeOptions#simulate()} set it runs no model (load tests): see {@link #simulatedGpu()}.
 *
 * <pre>{@code
 * try (InferenceNode node = InferenceNode.start(NodeOptions.builder(repo).port(0).build())) {
 *   ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", node.port())...
 * }
 * }</pre>
 */
public final class InferenceNode implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(InferenceNode.class.getName());
  public static final String VERSION = "0.1.0";

  private final ModelRepository repository;
  private final NodeMetrics metrics;
  private final FaultInjector faults;
  private final Server server;
  private final HealthStatusManager health;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final ScheduledExecutorService healthUpdater;
  private final InferenceService service;
  private final int metricsPort;
  private final SimulatedGpu simulatedGpu;

  private InferenceNode(
      ModelRepository repository,
      NodeMetrics metrics,
      FaultInjector faults,
      Server server,
      HealthStatusManager health,
      InferenceService service,
      int metricsPort,
      SimulatedGpu simulatedGpu) {
    this.simulatedGpu = simulatedGpu;
    this.repository = repository;
    this.metrics = metrics;
    this.faults = faults;
    this.server = server;
    this.health = health;
    this.service = service;
    this.metricsPort = metricsPort;
    this.healthUpdater =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "framecast-node-health");
              t.setDaemon(true);
              return t;
            });
    healthUpdater.scheduleWithFixedDelay(this::updateHealth, 0, 500, TimeUnit.MILLISECONDS);
    faults.onStopAbruptly(this::stopAbruptly);
  }

  /** Loads the repository and starts serving on a Netty server. */
  public static InferenceNode start(NodeOptions options) throws IOException {
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new InetSocketAddress(options.host(), options.port()));
    return start(options, builder);
  }

  /**
   * Loads the repository and serves it on the given server builder (tests pass an in-process
   * builder). The builder's message limit is raised for video-sized tensors.
   */
  public static InferenceNode start(NodeOptions options, ServerBuilder<?> builder)
      throws IOException {
    SimulatedProfile profile = options.simulate();
    SimulatedGpu gpu = profile == null ? null : new SimulatedGpu();
    if (profile != null) {
      LOG.warning(
          "SIMULATED node: no models run; each request waits the latency of profile "
              + profile.source()
              + " (time scale "
              + profile.timeScale()
              + ") and returns zero/pass-through tensors. For load tests only.");
    }
    NodeMetrics metrics = new NodeMetrics(gpu);
    FaultInjector faults = new FaultInjector();
    ModelRepository.Options repositoryOptions =
        new ModelRepository.Options(
            options.modelRepository(),
            options.intraOpThreads(),
            options.maxQueueSize(),
            options.models());
    // A simulated node never touches ONNX Runtime: its native library is not even loaded.
    ModelRepository repository =
        profile == null
            ? ModelRepository.load(repositoryOptions, OrtEnvironment.getEnvironment(), metrics)
            : ModelRepository.loadSimulated(repositoryOptions, profile, gpu, metrics);
    InferenceService service =
        new InferenceService(
            repository,
            faults,
            options.serverName(),
            VERSION,
            profile != null,
            options.outputOrder());
    HealthStatusManager health = new HealthStatusManager();
    Server server;
    int metricsPort = -1;
    try {
      server =
          builder
              .addService(service)
              .addService(health.getHealthService())
              .addService(ProtoReflectionServiceV1.newInstance())
              .maxInboundMessageSize(options.maxMessageBytes())
              .build()
              .start();
      if (options.metricsPort() >= 0) {
        metricsPort = metrics.serve(options.host(), options.metricsPort(), service::serverReady);
      }
    } catch (IOException | RuntimeException e) {
      repository.close();
      metrics.close();
      throw e;
    }
    for (LoadedModel model : repository.models()) {
      LOG.info(
          "model '"
              + model.name()
              + "': "
              + (model.readyVersions().isEmpty()
                  ? "UNAVAILABLE " + reason(model)
                  : "READY versions " + model.readyVersions().keySet()));
    }
    InferenceNode node =
        new InferenceNode(repository, metrics, faults, server, health, service, metricsPort, gpu);
    LOG.info(
        "serving "
            + (profile != null ? "SIMULATED " : "")
            + options.modelRepository()
            + " over GRPCInferenceService on port "
            + node.port()
            + (metricsPort >= 0 ? ", metrics on port " + metricsPort + " (/metrics)" : ""));
    return node;
  }

  private static String reason(LoadedModel model) {
    if (model.modelReason() != null) {
      return "(" + model.modelReason() + ")";
    }
    return model.versionStates().values().toString();
  }

  private void updateHealth() {
    health.setStatus("", service.serverReady() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    health.setStatus(
        "inference.GRPCInferenceService",
        service.serverReady() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  /** The bound gRPC port (-1 for an in-process server). */
  public int port() {
    return server.getPort();
  }

  /** The bound metrics port, or -1 when metrics are off. */
  public int metricsPort() {
    return metricsPort;
  }

  public FaultInjector faults() {
    return faults;
  }

  public ModelRepository repository() {
    return repository;
  }

  public NodeMetrics metrics() {
    return metrics;
  }

  /**
   * The simulated GPU of a simulated node (its busy time and executions, for load tests that read
   * them in-process); empty for a node that runs its models.
   */
  public Optional<SimulatedGpu> simulatedGpu() {
    return Optional.ofNullable(simulatedGpu);
  }

  public boolean ready() {
    return service.serverReady();
  }

  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /**
   * Drops every connection and call at once, as a dead process would. Returns once the sockets are
   * closed: a client that calls after this sees its connection refused (UNAVAILABLE), never a
   * half-closed transport that cancels the call (CANCELLED).
   */
  private void stopAbruptly() {
    LOG.warning("stopping abruptly (injected fault)");
    server.shutdownNow();
    healthUpdater.shutdownNow();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        LOG.warning("abrupt stop: transports still open after 5 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Graceful stop: refuses new calls, lets running ones finish briefly, then frees the models. Only
   * the first call stops the node; later ones return at once.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    health.enterTerminalState();
    healthUpdater.shutdownNow();
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
    repository.close();
    metrics.close();
  }
}
