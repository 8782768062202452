package dev.framecast.gateway.backend;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.ListJobsRequest;
import dev.framecast.api.v1.ListJobsResponse;
import dev.framecast.api.v1.ListModelsResponse;
import dev.framecast.api.v1.Usage;
import dev.framecast.common.Caller;
import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.scheduler.Renderers;
import dev.framecast.scheduler.SchedulerServer;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import dev.framecast.scheduler.service.SchedulerCore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Flow;

/**
 * The whole platform in this process: an inference node serving a Triton model repository with ONNX
 * Runtime on the CPU, and the scheduler over it, called in-process (no serialization). With {@code
 * nodes} set, the scheduler drives those nodes instead of its own (load tests: a simulated fleet).
 */
public final class EmbeddedBackend implements Backend {
  private final InferenceNode node;
  private final SchedulerServer scheduler;
  private final SchedulerCore core;
  private final String description;

  /**
   * @param modelRepository the Triton model repository the in-process node serves
   * @param tenantsFile tenants.yaml (watched and reloaded), or null for the bundled demo tenants
   * @param clipDirectory where finished clips are kept
   * @param renderThreads the scheduler's clip-encoding threads
   * @param nodes external nodes instead of the in-process one (empty: the in-process node)
   * @param engine the scheduler's engine settings (its policy among them)
   * @param metricsPort serve the scheduler's Prometheus metrics on this port (-1: off)
   * @param database the job store, or null (jobs in memory only)
   * @param webhooks how webhooks are delivered (which addresses they may reach)
   */
  public record Settings(
      Path modelRepository,
      Path tenantsFile,
      Path clipDirectory,
      int renderThreads,
      List<String> nodes,
      EngineConfig engine,
      int metricsPort,
      SchedulerServer.Database database,
      dev.framecast.scheduler.webhook.WebhookConfig webhooks) {
    public Settings {
      nodes = List.copyOf(nodes);
    }

    /** Settings with the default webhook delivery (no private or loopback addresses). */
    public Settings(
        Path modelRepository,
        Path tenantsFile,
        Path clipDirectory,
        int renderThreads,
        List<String> nodes,
        EngineConfig engine,
        int metricsPort,
        SchedulerServer.Database database) {
      this(
          modelRepository,
          tenantsFile,
          clipDirectory,
          renderThreads,
          nodes,
          engine,
          metricsPort,
          database,
          dev.framecast.scheduler.webhook.WebhookConfig.DEFAULT);
    }

    /** Settings without a job store. */
    public Settings(
        Path modelRepository,
        Path tenantsFile,
        Path clipDirectory,
        int renderThreads,
        List<String> nodes,
        EngineConfig engine,
        int metricsPort) {
      this(
          modelRepository,
          tenantsFile,
          clipDirectory,
          renderThreads,
          nodes,
          engine,
          metricsPort,
          null);
    }

    /** The in-process node over {@code modelRepository}, default engine, no metrics port. */
    public static Settings of(
        Path modelRepository, Path tenantsFile, Path clipDirectory, int renderThreads) {
      return new Settings(
          modelRepository,
          tenantsFile,
          clipDirectory,
          renderThreads,
          List.of(),
          EngineConfig.defaults(),
          -1);
    }
  }

  public EmbeddedBackend(
      Path modelRepository, Path tenantsFile, Path clipDirectory, int renderThreads)
      throws IOException {
    this(Settings.of(modelRepository, tenantsFile, clipDirectory, renderThreads));
  }

  public EmbeddedBackend(Settings settings) throws IOException {
    Path modelRepository = settings.modelRepository();
    List<String> nodes = settings.nodes();
    if (nodes.isEmpty()) {
      if (!Files.isDirectory(modelRepository)) {
        throw new IllegalArgumentException(
            "framecast.embedded.model-repository: no directory at "
                + modelRepository.toAbsolutePath()
                + " (run from the repository root, or set it to triton-models/)");
      }
      node =
          InferenceNode.start(
              NodeOptions.builder(modelRepository)
                  .host("127.0.0.1")
                  .port(0)
                  .metricsPort(-1)
                  .build());
      nodes = List.of("127.0.0.1:" + node.port());
      description = "embedded (inference node on 127.0.0.1:" + node.port() + ")";
    } else {
      node = null;
      description = "embedded scheduler over nodes " + String.join(",", nodes);
    }
    try {
      SchedulerServer server =
          new SchedulerServer(
              new SchedulerServer.Options(
                  nodes,
                  List.of(PipelineSpec.reference()),
                  settings.tenantsFile(),
                  settings.clipDirectory(),
                  Duration.ofHours(24),
                  settings.engine(),
                  settings.renderThreads(),
                  settings.database(),
                  -1,
                  io.grpc.InsecureChannelCredentials.create(),
                  settings.webhooks()),
              Renderers.standard());
      try {
        if (settings.metricsPort() >= 0) {
          server.metrics().serve(settings.metricsPort());
        }
      } catch (IOException | RuntimeException e) {
        server.close();
        throw e;
      }
      scheduler = server;
    } catch (IOException | RuntimeException e) {
      if (node != null) {
        node.close();
      }
      throw e;
    }
    core = scheduler.core();
  }

  public SchedulerServer scheduler() {
    return scheduler;
  }

  @Override
  public Job submit(Caller caller, GenerateRequest request) {
    return core.submit(caller, request);
  }

  @Override
  public Job get(Caller caller, String jobId) {
    return core.get(caller, jobId);
  }

  @Override
  public ListJobsResponse list(Caller caller, ListJobsRequest request) {
    return core.list(caller, request);
  }

  @Override
  public Job cancel(Caller caller, String jobId, String reason) {
    return core.cancel(caller, jobId, reason);
  }

  @Override
  public Usage usage(Caller caller, String tenant) {
    return core.usage(caller, tenant);
  }

  @Override
  public ListModelsResponse models(Caller caller) {
    return core.pipelines(caller);
  }

  @Override
  public Flow.Publisher<JobEvent> events(Caller caller, String jobId, long afterSeq) {
    return core.events(caller, jobId, afterSeq);
  }

  @Override
  public Content content(Caller caller, String jobId, String variant) {
    var asset = dev.framecast.scheduler.service.SchedulerCore.asset(variant);
    dev.framecast.scheduler.engine.ClipStore.Blob blob;
    try {
      blob = core.content(caller, jobId, asset);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Content() {
      @Override
      public String contentType() {
        return asset.contentType();
      }

      @Override
      public long size() {
        return blob.size();
      }

      @Override
      public String etag() {
        return blob.etag();
      }

      @Override
      public void copyTo(long offset, long length, java.io.OutputStream out) throws IOException {
        try (java.io.InputStream in = blob.open(offset, length)) {
          in.transferTo(out);
        }
      }
    };
  }

  @Override
  public Job delete(Caller caller, String jobId) {
    try {
      return core.delete(caller, jobId);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public boolean ready() {
    return scheduler.engine().pool().nodes().stream().anyMatch(n -> n.ready());
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  /**
   * Stops the scheduler (its job store writes what changed last), then the node: no request is
   * running in the node when its sessions are freed. Only the first call does anything.
   */
  public void close() {
    scheduler.close();
    if (node != null) {
      node.close();
    }
  }

  /**
   * Closes this backend on SIGTERM/SIGINT before the JVM's shutdown hooks run: the in-process
   * node's ONNX Runtime sessions must be freed before the binding's own hook frees its environment
   * ({@code dev.framecast.common.ShutdownSignals}).
   *
   * @param first runs before: the gateway ends its event streams, asking clients to reconnect
   */
  public EmbeddedBackend closeOnStopSignal(Runnable first) {
    dev.framecast.common.ShutdownSignals.drainFirst(
        "the embedded scheduler and node",
        () -> {
          first.run();
          close();
        });
    return this;
  }
}
