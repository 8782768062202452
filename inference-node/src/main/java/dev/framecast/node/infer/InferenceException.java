package dev.framecast.node.infer;

import io.grpc.Status;

/**
 * A request that failed with the gRPC status Triton gives for the same failure. {@link #reason()}
 * is the {@code reason} label of {@code nv_inference_request_failure}.
 */
public final class InferenceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Triton's failure reasons (the metric label values). */
  public enum Reason {
    REJECTED,
    CANCELED,
    BACKEND,
    OTHER
  }

  private final Status.Code code;
  private final Reason reason;

  public InferenceException(Status.Code code, Reason reason, String message) {
    super(message);
    this.code = code;
    this.reason = reason;
  }

  public InferenceException(Status.Code code, Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.reason = reason;
  }

  public static InferenceException invalid(String message) {
    return new InferenceException(Status.Code.INVALID_ARGUMENT, Reason.REJECTED, message);
  }

  public static InferenceException notFound(String message) {
    return new InferenceException(Status.Code.NOT_FOUND, Reason.REJECTED, message);
  }

  public static InferenceException unavailable(String message) {
    return new InferenceException(Status.Code.UNAVAILABLE, Reason.REJECTED, message);
  }

  public Status.Code code() {
    return code;
  }

  public Reason reason() {
    return reason;
  }

  public Status toStatus() {
    return Status.fromCode(code).withDescription(getMessage());
  }
}
