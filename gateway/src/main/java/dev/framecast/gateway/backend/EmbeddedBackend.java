package dev.framecast.gateway.backend;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.ListJobsRequest;
import dev.framecast.api.v1.ListJobsResponse;
import dev.framecast.api.v1.ListModelsResponse;
import dev.framecast.api.v1.Usage;
import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.scheduler.Renderers;
import dev.framecast.scheduler.SchedulerServer;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import dev.framecast.scheduler.service.SchedulerCore;
import dev.framecast.scheduler.service.SchedulerCore.Caller;
import io.grpc.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Flow;

/**
 * The whole platform in this process: an inference node serving a Triton model repository with ONNX
 * Runtime on the CPU, and the scheduler over it, called in-process (no serialization).
 */
public final class EmbeddedBackend implements Backend {
  private final InferenceNode node;
  private final SchedulerServer scheduler;
  private final SchedulerCore core;

  /**
   * @param modelRepository the Triton model repository the node serves
   * @param tenantsFile tenants.yaml (watched and reloaded), or null for the bundled demo tenants
   * @param clipDirectory where finished clips are kept
   */
  public EmbeddedBackend(
      Path modelRepository, Path tenantsFile, Path clipDirectory, int renderThreads)
      throws IOException {
    if (!Files.isDirectory(modelRepository)) {
      throw new IllegalArgumentException(
          "framecast.embedded.model-repository: no directory at "
              + modelRepository.toAbsolutePath()
              + " (run from the repository root, or set it to triton-models/)");
    }
    node =
        InferenceNode.start(
            NodeOptions.builder(modelRepository).host("127.0.0.1").port(0).metricsPort(-1).build());
    try {
      scheduler =
          new SchedulerServer(
              new SchedulerServer.Options(
                  List.of("127.0.0.1:" + node.port()),
                  List.of(PipelineSpec.reference()),
                  tenantsFile,
                  clipDirectory,
                  Duration.ofHours(24),
                  EngineConfig.defaults(),
                  renderThreads),
              Renderers.standard());
    } catch (IOException | RuntimeException e) {
      node.close();
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
  public byte[] clip(Caller caller, String jobId) {
    try {
      return core.clip(caller, jobId)
          .orElseThrow(
              () ->
                  Status.NOT_FOUND
                      .withDescription("the clip of job '" + jobId + "' is no longer stored")
                      .asRuntimeException());
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
    return "embedded (inference node on 127.0.0.1:" + node.port() + ")";
  }

  @Override
  public void close() {
    scheduler.close();
    node.close();
  }
}
