package dev.framecast.gateway.api;

import dev.framecast.api.v1.CancelJobRequest;
import dev.framecast.api.v1.DeleteJobRequest;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.GetJobRequest;
import dev.framecast.api.v1.GetUsageRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.ListJobsRequest;
import dev.framecast.api.v1.ListJobsResponse;
import dev.framecast.api.v1.ListModelsRequest;
import dev.framecast.api.v1.ListModelsResponse;
import dev.framecast.api.v1.Usage;
import dev.framecast.api.v1.VideoGenerationGrpc;
import dev.framecast.api.v1.WatchJobRequest;
import dev.framecast.common.Caller;
import dev.framecast.common.events.FlowControlledWriter;
import dev.framecast.gateway.auth.Callers;
import dev.framecast.gateway.backend.Backend;
import dev.framecast.gateway.drain.Drain;
import dev.framecast.gateway.metrics.GatewayMetrics;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import java.util.concurrent.Flow;
import java.util.function.Function;

/**
 * {@code framecast.v1.VideoGeneration}: the verified caller, the gateway's size limits, then the
 * scheduler (the {@link Backend}). Event streams use gRPC flow control end to end; a client that
 * disconnects from Generate stops only its stream, and the job runs on (WatchJob resumes it). A
 * stopping gateway ends its streams with UNAVAILABLE naming the seq to resume after ({@link
 * Drain}). Blocking because a distributed backend makes blocking calls with deadlines.
 * Authorization is {@link Callers}' (the same for gRPC and REST), so an anonymous call is
 * UNAUTHENTICATED and a token without the role PERMISSION_DENIED.
 */
@GrpcService
@Blocking
public class VideoGenerationService extends VideoGenerationGrpc.VideoGenerationImplBase {
  static final String GRPC = "grpc";

  @Inject Backend backend;
  @Inject Callers callers;
  @Inject SecurityIdentity identity;
  @Inject RequestLimits limits;
  @Inject GatewayMetrics metrics;
  @Inject Drain drain;

  @Override
  public void generate(GenerateRequest request, StreamObserver<JobEvent> response) {
    stream(
        "Generate",
        response,
        caller -> {
          limits.check(request);
          Job job = backend.submit(caller, request);
          return backend.events(caller, job.getId(), 0);
        });
  }

  @Override
  public void submitJob(GenerateRequest request, StreamObserver<Job> response) {
    unary(
        "SubmitJob",
        response,
        caller -> {
          limits.check(request);
          return backend.submit(caller, request);
        });
  }

  @Override
  public void watchJob(WatchJobRequest request, StreamObserver<JobEvent> response) {
    stream(
        "WatchJob",
        response,
        caller -> {
          limits.jobId(request.getJobId());
          return backend.events(caller, request.getJobId(), request.getAfterSeq());
        });
  }

  @Override
  public void getJob(GetJobRequest request, StreamObserver<Job> response) {
    unary(
        "GetJob",
        response,
        caller -> {
          limits.jobId(request.getJobId());
          return backend.get(caller, request.getJobId());
        });
  }

  @Override
  public void listJobs(ListJobsRequest request, StreamObserver<ListJobsResponse> response) {
    unary(
        "ListJobs",
        response,
        caller -> {
          limits.list(request);
          return backend.list(caller, request);
        });
  }

  @Override
  public void cancelJob(CancelJobRequest request, StreamObserver<Job> response) {
    unary(
        "CancelJob",
        response,
        caller -> {
          limits.cancel(request.getJobId(), request.getReason());
          return backend.cancel(caller, request.getJobId(), request.getReason());
        });
  }

  @Override
  public void deleteJob(DeleteJobRequest request, StreamObserver<Job> response) {
    unary(
        "DeleteJob",
        response,
        caller -> {
          limits.jobId(request.getJobId());
          return backend.delete(caller, request.getJobId());
        });
  }

  @Override
  public void getUsage(GetUsageRequest request, StreamObserver<Usage> response) {
    unary(
        "GetUsage",
        response,
        caller -> {
          limits.usage(request.getTenant());
          return backend.usage(caller, request.getTenant());
        });
  }

  @Override
  public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> response) {
    unary("ListModels", response, backend::models);
  }

  private <T> void unary(String method, StreamObserver<T> response, Function<Caller, T> body) {
    String tenant = "";
    T value;
    try {
      Caller caller = callers.of(identity);
      tenant = caller.tenant();
      value = body.apply(caller);
    } catch (RuntimeException e) {
      StatusRuntimeException status = Statuses.of(e);
      metrics.request(method, tenant, status.getStatus().getCode().name());
      response.onError(status);
      return;
    }
    metrics.request(method, tenant, "OK");
    response.onNext(value);
    response.onCompleted();
  }

  private void stream(
      String method,
      StreamObserver<JobEvent> response,
      Function<Caller, Flow.Publisher<JobEvent>> open) {
    String tenant = "";
    Flow.Publisher<JobEvent> events;
    try {
      Caller caller = callers.of(identity);
      tenant = caller.tenant();
      events = open.apply(caller);
    } catch (RuntimeException e) {
      StatusRuntimeException status = Statuses.of(e);
      metrics.request(method, tenant, status.getStatus().getCode().name());
      response.onError(status);
      return;
    }
    String streamTenant = tenant;
    metrics.streamOpened(GRPC);
    FlowControlledWriter.pipe(
        OnCallContext.of(drain.track(events)),
        (ServerCallStreamObserver<JobEvent>) response,
        Statuses::of,
        new FlowControlledWriter.Listener<>() {
          @Override
          public void written(JobEvent event) {
            metrics.eventWritten(event.getTime());
          }

          @Override
          public void closed(Status status) {
            metrics.streamClosed(GRPC);
            metrics.request(method, streamTenant, status.getCode().name());
          }
        });
  }
}
