package dev.framecast.node.grpc;

import dev.framecast.inference.v2.GRPCInferenceServiceGrpc;
import dev.framecast.inference.v2.ModelConfigRequest;
import dev.framecast.inference.v2.ModelConfigResponse;
import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.inference.v2.ModelMetadataRequest;
import dev.framecast.inference.v2.ModelMetadataResponse;
import dev.framecast.inference.v2.ModelReadyRequest;
import dev.framecast.inference.v2.ModelReadyResponse;
import dev.framecast.inference.v2.ModelStatisticsRequest;
import dev.framecast.inference.v2.ModelStatisticsResponse;
import dev.framecast.inference.v2.ModelStreamInferResponse;
import dev.framecast.inference.v2.RepositoryIndexRequest;
import dev.framecast.inference.v2.RepositoryIndexResponse;
import dev.framecast.inference.v2.ServerLiveRequest;
import dev.framecast.inference.v2.ServerLiveResponse;
import dev.framecast.inference.v2.ServerMetadataRequest;
import dev.framecast.inference.v2.ServerMetadataResponse;
import dev.framecast.inference.v2.ServerReadyRequest;
import dev.framecast.inference.v2.ServerReadyResponse;
import dev.framecast.node.fault.FaultInjector;
import dev.framecast.node.infer.InferenceException;
import dev.framecast.node.infer.OutputOrder;
import dev.framecast.node.repository.LoadedModel;
import dev.framecast.node.repository.ModelRepository;
import dev.framecast.node.repository.ModelVersion;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Triton's {@code GRPCInferenceService} on this node: health, metadata, configuration, statistics,
 * the repository index, and inference (unary and streaming). RPCs this node does not serve (shared
 * memory, trace and log settings, repository load/unload) answer UNIMPLEMENTED.
 */
public final class InferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
  private static final Logger LOG = Logger.getLogger(InferenceService.class.getName());

  private final ModelRepository repository;
  private final FaultInjector faults;
  private final String serverName;
  private final String serverVersion;
  private final boolean simulated;
  private final Inference inference;

  public InferenceService(
      ModelRepository repository, FaultInjector faults, String serverName, String serverVersion) {
    this(repository, faults, serverName, serverVersion, false, OutputOrder.NAME);
  }

  /**
   * @param simulated whether the repository is simulated (load tests): ServerMetadata then says so,
   *     with the name suffix {@code -simulated} and the extension {@code simulated}
   * @param outputOrder the order responses list their outputs in
   */
  public InferenceService(
      ModelRepository repository,
      FaultInjector faults,
      String serverName,
      String serverVersion,
      boolean simulated,
      OutputOrder outputOrder) {
    this.repository = repository;
    this.faults = faults;
    this.serverName = simulated ? serverName + "-simulated" : serverName;
    this.serverVersion = serverVersion;
    this.simulated = simulated;
    this.inference = new Inference(repository, faults, outputOrder);
  }

  @Override
  public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> response) {
    response.onNext(ServerLiveResponse.newBuilder().setLive(true).build());
    response.onCompleted();
  }

  /** Ready when every model has a ready version (Triton's default strict readiness). */
  @Override
  public void serverReady(
      ServerReadyRequest request, StreamObserver<ServerReadyResponse> response) {
    response.onNext(ServerReadyResponse.newBuilder().setReady(serverReady()).build());
    response.onCompleted();
  }

  public boolean serverReady() {
    if (faults.serverNotReady()) {
      return false;
    }
    for (LoadedModel model : repository.models()) {
      if (model.readyVersions().isEmpty() || faults.modelNotReady(model.name())) {
        return false;
      }
    }
    return true;
  }

  /** Unknown models and versions are not an error here: they are simply not ready. */
  @Override
  public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> response) {
    unary(
        response,
        () -> {
          boolean ready;
          try {
            ModelVersion version = repository.resolve(request.getName(), request.getVersion());
            ready = !faults.modelNotReady(version.name());
          } catch (InferenceException e) {
            if (e.code() == Status.Code.INVALID_ARGUMENT) {
              throw e;
            }
            ready = false;
          }
          return ModelReadyResponse.newBuilder().setReady(ready).build();
        });
  }

  @Override
  public void serverMetadata(
      ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> response) {
    ServerMetadataResponse.Builder metadata =
        ServerMetadataResponse.newBuilder()
            .setName(serverName)
            .setVersion(serverVersion)
            .addExtensions("model_configuration")
            .addExtensions("statistics")
            .addExtensions("parameters")
            .addExtensions("schedule_policy");
    if (simulated) {
      metadata.addExtensions("simulated");
    }
    response.onNext(metadata.build());
    response.onCompleted();
  }

  @Override
  public void modelMetadata(
      ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> response) {
    unary(response, () -> Responses.metadata(repository, request.getName(), request.getVersion()));
  }

  @Override
  public void modelConfig(
      ModelConfigRequest request, StreamObserver<ModelConfigResponse> response) {
    unary(
        response,
        () ->
            ModelConfigResponse.newBuilder()
                .setConfig(repository.resolve(request.getName(), request.getVersion()).config())
                .build());
  }

  @Override
  public void modelStatistics(
      ModelStatisticsRequest request, StreamObserver<ModelStatisticsResponse> response) {
    unary(
        response, () -> Responses.statistics(repository, request.getName(), request.getVersion()));
  }

  @Override
  public void repositoryIndex(
      RepositoryIndexRequest request, StreamObserver<RepositoryIndexResponse> response) {
    if (!request.getRepositoryName().isEmpty()) {
      response.onError(
          Status.UNIMPLEMENTED
              .withDescription("'repository_name' specification is not supported")
              .asRuntimeException());
      return;
    }
    response.onNext(Responses.index(repository, request.getReady()));
    response.onCompleted();
  }

  @Override
  public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> response) {
    ServerCallStreamObserver<ModelInferResponse> call =
        (ServerCallStreamObserver<ModelInferResponse>) response;
    Inference.Call pending = inference.start(request);
    // Set before returning: a cancelled RPC's queued request is dropped from the model's queue.
    call.setOnCancelHandler(pending::cancel);
    pending
        .result()
        .whenComplete(
            (result, error) -> {
              if (call.isCancelled()) {
                return;
              }
              if (error != null) {
                call.onError(toStatus(error).asRuntimeException());
              } else {
                call.onNext(result);
                call.onCompleted();
              }
            });
  }

  /**
   * Non-decoupled streaming: one response per request, in request order; errors are reported
   * in-band as error_message (with the request id) and the stream stays open.
   */
  @Override
  public StreamObserver<ModelInferRequest> modelStreamInfer(
      StreamObserver<ModelStreamInferResponse> response) {
    ServerCallStreamObserver<ModelStreamInferResponse> call =
        (ServerCallStreamObserver<ModelStreamInferResponse>) response;
    StreamSession session = new StreamSession(inference, call);
    call.setOnCancelHandler(session::cancel);
    return session;
  }

  private <T> void unary(StreamObserver<T> response, java.util.function.Supplier<T> body) {
    T value;
    try {
      value = body.get();
    } catch (RuntimeException e) {
      response.onError(toStatus(e).asRuntimeException());
      return;
    }
    response.onNext(value);
    response.onCompleted();
  }

  static Status toStatus(Throwable error) {
    Throwable cause = error;
    while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof InferenceException e) {
      return e.toStatus();
    }
    LOG.log(Level.SEVERE, "unexpected failure", cause);
    return Status.INTERNAL.withDescription(String.valueOf(cause.getMessage())).withCause(cause);
  }
}
