package dev.framecast.common.errors;

/**
 * A request refused, before anything was queued or changed. The message is written for the client:
 * it becomes the gRPC status description. Each subclass carries the data its status details need;
 * which status code and details that is, is decided only by {@link GrpcStatusMapper}.
 *
 * <p>Sealed so the mapper's list of cases is the complete list.
 */
public abstract sealed class AdmissionException extends RuntimeException
    permits UnknownTenantException,
        PipelineNotAllowedException,
        QuotaExceededException,
        InvalidRequestException,
        ShuttingDownException,
        NotFoundException,
        PermissionDeniedException,
        FailedPreconditionException,
        UnauthenticatedException,
        OverloadedException {
  private static final long serialVersionUID = 1L;

  AdmissionException(String message) {
    // No stack trace: refusals are routine, frequent under load, and their cause is the message.
    super(message, null, false, false);
  }

  /** Tenant names come from verified tokens, but messages stay bounded all the same. */
  static String quote(String value) {
    String text = String.valueOf(value);
    return "'" + (text.length() > 64 ? text.substring(0, 64) + "..." : text) + "'";
  }
}
