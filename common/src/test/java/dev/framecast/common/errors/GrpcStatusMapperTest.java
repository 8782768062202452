package dev.framecast.common.errors;

import static dev.framecast.common.errors.Details.detail;
import static dev.framecast.common.errors.Details.rpcStatus;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.PreconditionFailure;
import com.google.rpc.QuotaFailure;
import com.google.rpc.ResourceInfo;
import com.google.rpc.RetryInfo;
import dev.framecast.common.errors.InvalidRequestException.FieldViolation;
import dev.framecast.common.errors.QuotaExceededException.Limit;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GrpcStatusMapperTest {

  private final Logger logger = Logger.getLogger(GrpcStatusMapper.class.getName());

  @BeforeEach
  void quiet() {
    logger.setUseParentHandlers(false); // the INTERNAL cases log stack traces by design
  }

  @AfterEach
  void loud() {
    logger.setUseParentHandlers(true);
  }

  @Test
  void unknownTenantIsPermissionDeniedWithErrorInfo() {
    StatusRuntimeException e = GrpcStatusMapper.toStatus(new UnknownTenantException("umbrella"));

    assertThat(e.getStatus().getCode()).isEqualTo(Code.PERMISSION_DENIED);
    assertThat(e.getStatus().getDescription()).isEqualTo("tenant 'umbrella' is not configured");
    ErrorInfo info = detail(e, ErrorInfo.class);
    assertThat(info.getReason()).isEqualTo("UNKNOWN_TENANT");
    assertThat(info.getDomain()).isEqualTo("framecast.dev");
    assertThat(info.getMetadataMap()).containsEntry("tenant", "umbrella");
  }

  @Test
  void pipelineNotAllowedIsPermissionDenied() {
    StatusRuntimeException e =
        GrpcStatusMapper.toStatus(
            new PipelineNotAllowedException("acme", "large", List.of("small", "medium")));

    assertThat(e.getStatus().getCode()).isEqualTo(Code.PERMISSION_DENIED);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("tenant 'acme' may not use pipeline 'large'; allowed: small, medium");
    ErrorInfo info = detail(e, ErrorInfo.class);
    assertThat(info.getReason()).isEqualTo("PIPELINE_NOT_ALLOWED");
    assertThat(info.getDomain()).isEqualTo("framecast.dev");
    assertThat(info.getMetadataMap())
        .containsEntry("pipeline", "large")
        .containsEntry("allowed_pipelines", "small,medium");
  }

  @Test
  void quotaExceededIsResourceExhaustedWithRetryInfoAndQuotaFailure() {
    StatusRuntimeException e =
        GrpcStatusMapper.toStatus(
            new QuotaExceededException(
                Limit.GPU_SECONDS_PER_DAY, "acme", 3600.5, java.time.Duration.ofMillis(1500)));

    assertThat(e.getStatus().getCode()).isEqualTo(Code.RESOURCE_EXHAUSTED);
    assertThat(detail(e, RetryInfo.class).getRetryDelay())
        .isEqualTo(Duration.newBuilder().setSeconds(1).setNanos(500_000_000).build());
    QuotaFailure.Violation violation = detail(e, QuotaFailure.class).getViolations(0);
    assertThat(violation.getSubject()).isEqualTo("tenant:acme");
    assertThat(violation.getDescription())
        .isEqualTo("gpu_seconds_per_day: at most 3600.5 GPU-seconds per UTC day");
    assertThat(violation.getQuotaId()).isEqualTo("gpu_seconds_per_day");
    assertThat(violation.getQuotaValue()).isEqualTo(3600);
    assertThat(detail(e, ErrorInfo.class).getMetadataMap())
        .containsEntry("limit", "gpu_seconds_per_day");
  }

  @Test
  void invalidRequestIsInvalidArgumentWithFieldViolations() {
    StatusRuntimeException e =
        GrpcStatusMapper.toStatus(
            new InvalidRequestException(
                List.of(
                    new FieldViolation("prompt", "must not be empty"),
                    new FieldViolation("guidance_scale", "must be between 1 and 20, got 40"))));

    assertThat(e.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription())
        .isEqualTo(
            "invalid request: prompt: must not be empty;"
                + " guidance_scale: must be between 1 and 20, got 40");
    assertThat(detail(e, BadRequest.class).getFieldViolationsList())
        .extracting(BadRequest.FieldViolation::getField, BadRequest.FieldViolation::getDescription)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("prompt", "must not be empty"),
            org.assertj.core.groups.Tuple.tuple(
                "guidance_scale", "must be between 1 and 20, got 40"));
  }

  @Test
  void shuttingDownIsUnavailable() {
    StatusRuntimeException e = GrpcStatusMapper.toStatus(new ShuttingDownException());
    assertThat(e.getStatus().getCode()).isEqualTo(Code.UNAVAILABLE);
    assertThat(detail(e, ErrorInfo.class).getReason()).isEqualTo("SHUTTING_DOWN");
  }

  @Test
  void notFoundNamesTheResource() {
    StatusRuntimeException job = GrpcStatusMapper.toStatus(NotFoundException.job("j-1"));
    assertThat(job.getStatus().getCode()).isEqualTo(Code.NOT_FOUND);
    assertThat(job.getStatus().getDescription()).isEqualTo("job 'j-1' not found");
    assertThat(detail(job, ErrorInfo.class).getReason()).isEqualTo("JOB_NOT_FOUND");
    ResourceInfo resource = detail(job, ResourceInfo.class);
    assertThat(resource.getResourceType()).isEqualTo("framecast.v1.Job");
    assertThat(resource.getResourceName()).isEqualTo("j-1");

    StatusRuntimeException clip = GrpcStatusMapper.toStatus(NotFoundException.clip("j-2"));
    assertThat(clip.getStatus().getCode()).isEqualTo(Code.NOT_FOUND);
    assertThat(detail(clip, ErrorInfo.class).getReason()).isEqualTo("CLIP_NOT_STORED");
    assertThat(detail(clip, ResourceInfo.class).getResourceType()).isEqualTo("framecast.v1.Clip");
  }

  @Test
  void permissionPreconditionAuthenticationAndOverload() {
    StatusRuntimeException denied =
        GrpcStatusMapper.toStatus(new PermissionDeniedException("ROLE_REQUIRED", "no role"));
    assertThat(denied.getStatus().getCode()).isEqualTo(Code.PERMISSION_DENIED);
    assertThat(detail(denied, ErrorInfo.class).getReason()).isEqualTo("ROLE_REQUIRED");

    StatusRuntimeException precondition =
        GrpcStatusMapper.toStatus(
            new FailedPreconditionException("JOB_STATE", "job:j-3", "job 'j-3' has no clip"));
    assertThat(precondition.getStatus().getCode()).isEqualTo(Code.FAILED_PRECONDITION);
    PreconditionFailure.Violation violation =
        detail(precondition, PreconditionFailure.class).getViolations(0);
    assertThat(violation.getType()).isEqualTo("JOB_STATE");
    assertThat(violation.getSubject()).isEqualTo("job:j-3");

    StatusRuntimeException anonymous =
        GrpcStatusMapper.toStatus(new UnauthenticatedException("a bearer token is required"));
    assertThat(anonymous.getStatus().getCode()).isEqualTo(Code.UNAUTHENTICATED);
    assertThat(anonymous.getStatus().getDescription()).isEqualTo("a bearer token is required");

    StatusRuntimeException busy =
        GrpcStatusMapper.toStatus(
            new OverloadedException(
                "the scheduler is busy; retry", java.time.Duration.ofSeconds(1)));
    assertThat(busy.getStatus().getCode()).isEqualTo(Code.UNAVAILABLE);
    assertThat(detail(busy, RetryInfo.class).getRetryDelay().getSeconds()).isEqualTo(1);
    assertThat(detail(busy, ErrorInfo.class).getReason()).isEqualTo("OVERLOADED");
  }

  @Test
  void refusalsInsideFuturesAreUnwrapped() {
    AdmissionException refusal = new UnknownTenantException("umbrella");
    assertThat(GrpcStatusMapper.toStatus(new CompletionException(refusal)).getStatus().getCode())
        .isEqualTo(Code.PERMISSION_DENIED);
    assertThat(GrpcStatusMapper.toStatus(new ExecutionException(refusal)).getStatus().getCode())
        .isEqualTo(Code.PERMISSION_DENIED);
  }

  @Test
  void anythingElseIsInternalWithoutLeakingInternals() {
    StatusRuntimeException e =
        GrpcStatusMapper.toStatus(
            new IllegalStateException("connection to 10.0.0.7:8001 refused, password=hunter2"));

    assertThat(e.getStatus().getCode()).isEqualTo(Code.INTERNAL);
    assertThat(e.getStatus().getDescription())
        .startsWith("internal error (incident ")
        .doesNotContain("10.0.0.7")
        .doesNotContain("hunter2");
    assertThat(e.getStatus().getCause()).isNull();
    assertThat(rpcStatus(e).getDetailsList()).isEmpty();
  }

  @Test
  void downstreamStatusIsNotPassedThrough() {
    StatusRuntimeException downstream =
        io.grpc.Status.UNAVAILABLE
            .withDescription("node dit-3.internal:8001 down")
            .asRuntimeException();

    StatusRuntimeException e = GrpcStatusMapper.toStatus(downstream);

    assertThat(e.getStatus().getCode()).isEqualTo(Code.INTERNAL);
    assertThat(e.getStatus().getDescription()).doesNotContain("dit-3");
  }
}
