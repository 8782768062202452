package dev.framecast.common.errors;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.PreconditionFailure;
import com.google.rpc.QuotaFailure;
import com.google.rpc.ResourceInfo;
import com.google.rpc.RetryInfo;
import com.google.rpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one place where failures become gRPC statuses (house rule 6).
 *
 * <p>Every refusal carries a {@code google.rpc.ErrorInfo} (a stable machine-readable reason in the
 * {@value #DOMAIN} domain) plus the detail its code calls for: {@code RetryInfo} and {@code
 * QuotaFailure} with RESOURCE_EXHAUSTED, {@code BadRequest} with INVALID_ARGUMENT, {@code
 * ResourceInfo} with NOT_FOUND, {@code PreconditionFailure} with FAILED_PRECONDITION. Details
 * travel in the {@code grpc-status-details-bin} trailer; clients read them with {@code
 * StatusProto.fromThrowable}.
 *
 * <p>Anything else is INTERNAL with a generic message and an incident id that is also logged with
 * the stack trace: the client learns nothing about the internals, the operator can still find the
 * cause. That includes a {@code StatusRuntimeException} arriving here: it came from a downstream
 * call (a node), and its description names internal hosts; the services throw the typed refusals
 * above for every status they mean to return.
 */
public final class GrpcStatusMapper {

  /** ErrorInfo domain of every Framecast error. */
  public static final String DOMAIN = "framecast.dev";

  private static final Logger LOG = Logger.getLogger(GrpcStatusMapper.class.getName());

  /** Unwrapping stops here so a pathological cause chain cannot loop. */
  private static final int MAX_UNWRAP = 8;

  private GrpcStatusMapper() {}

  /** {@code failure} as an exception to hand to {@code StreamObserver.onError}. */
  public static StatusRuntimeException toStatus(Throwable failure) {
    return StatusProto.toStatusRuntimeException(toRpcStatus(failure));
  }

  /**
   * {@code failure} as a {@code google.rpc.Status}, also what a job's {@code Failed} event and
   * {@code Job.error} carry.
   */
  public static Status toRpcStatus(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof UnknownTenantException e) {
      return status(
          Code.PERMISSION_DENIED,
          e,
          errorInfo("UNKNOWN_TENANT").putMetadata("tenant", e.tenant()).build());
    }
    if (cause instanceof PipelineNotAllowedException e) {
      return status(
          Code.PERMISSION_DENIED,
          e,
          errorInfo("PIPELINE_NOT_ALLOWED")
              .putMetadata("tenant", e.tenant())
              .putMetadata("pipeline", e.pipeline())
              .putMetadata("allowed_pipelines", String.join(",", e.allowedPipelines()))
              .build());
    }
    if (cause instanceof QuotaExceededException e) {
      return quotaExceeded(e);
    }
    if (cause instanceof InvalidRequestException e) {
      return invalidRequest(e);
    }
    if (cause instanceof ShuttingDownException e) {
      return status(Code.UNAVAILABLE, e, errorInfo("SHUTTING_DOWN").build());
    }
    if (cause instanceof NotFoundException e) {
      return status(
          Code.NOT_FOUND,
          e,
          errorInfo(e.reason()).putMetadata("resource", e.resourceName()).build(),
          ResourceInfo.newBuilder()
              .setResourceType(e.resourceType())
              .setResourceName(e.resourceName())
              .setDescription(e.getMessage())
              .build());
    }
    if (cause instanceof UnauthenticatedException e) {
      return status(Code.UNAUTHENTICATED, e, errorInfo("UNAUTHENTICATED").build());
    }
    if (cause instanceof OverloadedException e) {
      return status(
          Code.UNAVAILABLE,
          e,
          errorInfo("OVERLOADED").build(),
          RetryInfo.newBuilder().setRetryDelay(protoDuration(e.retryAfter())).build());
    }
    if (cause instanceof PermissionDeniedException e) {
      return status(Code.PERMISSION_DENIED, e, errorInfo(e.reason()).build());
    }
    if (cause instanceof FailedPreconditionException e) {
      return status(
          Code.FAILED_PRECONDITION,
          e,
          errorInfo(e.type()).build(),
          PreconditionFailure.newBuilder()
              .addViolations(
                  PreconditionFailure.Violation.newBuilder()
                      .setType(e.type())
                      .setSubject(e.subject())
                      .setDescription(e.getMessage()))
              .build());
    }
    String incident = UUID.randomUUID().toString();
    LOG.log(Level.WARNING, "internal error, incident " + incident, failure);
    return Status.newBuilder()
        .setCode(Code.INTERNAL_VALUE)
        .setMessage("internal error (incident " + incident + ")")
        .build();
  }

  private static Status quotaExceeded(QuotaExceededException e) {
    QuotaFailure.Violation violation =
        QuotaFailure.Violation.newBuilder()
            .setSubject("tenant:" + e.tenant())
            .setDescription(e.limitDescription())
            .setQuotaId(e.limit().key())
            .setQuotaValue((long) Math.floor(e.limitValue()))
            .putQuotaDimensions("tenant", e.tenant())
            .build();
    return status(
        Code.RESOURCE_EXHAUSTED,
        e,
        errorInfo("QUOTA_EXCEEDED")
            .putMetadata("tenant", e.tenant())
            .putMetadata("limit", e.limit().key())
            .build(),
        RetryInfo.newBuilder().setRetryDelay(protoDuration(e.retryAfter())).build(),
        QuotaFailure.newBuilder().addViolations(violation).build());
  }

  private static Status invalidRequest(InvalidRequestException e) {
    BadRequest.Builder badRequest = BadRequest.newBuilder();
    for (InvalidRequestException.FieldViolation v : e.violations()) {
      badRequest.addFieldViolations(
          BadRequest.FieldViolation.newBuilder()
              .setField(v.field())
              .setDescription(v.description()));
    }
    return status(
        Code.INVALID_ARGUMENT, e, errorInfo("INVALID_REQUEST").build(), badRequest.build());
  }

  private static Status status(Code code, AdmissionException e, Message... details) {
    Status.Builder status =
        Status.newBuilder().setCode(code.getNumber()).setMessage(e.getMessage());
    for (Message detail : details) {
      status.addDetails(Any.pack(detail));
    }
    return status.build();
  }

  private static ErrorInfo.Builder errorInfo(String reason) {
    return ErrorInfo.newBuilder().setReason(reason).setDomain(DOMAIN);
  }

  private static com.google.protobuf.Duration protoDuration(Duration duration) {
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(duration.getSeconds())
        .setNanos(duration.getNano())
        .build();
  }

  /** Futures wrap the refusal that happened inside them; the client should see the refusal. */
  private static Throwable unwrap(Throwable failure) {
    Throwable current = failure;
    for (int i = 0; i < MAX_UNWRAP; i++) {
      if ((current instanceof CompletionException || current instanceof ExecutionException)
          && current.getCause() != null) {
        current = current.getCause();
      } else {
        break;
      }
    }
    return current;
  }
}
