package dev.framecast.common.errors;

/**
 * The request is well formed but what it names is not in a state that allows it (a clip asked of a
 * job that has not succeeded): FAILED_PRECONDITION with a {@code google.rpc.PreconditionFailure}.
 * Retrying the same request does not help until that state changes.
 */
public final class FailedPreconditionException extends AdmissionException {
  private static final long serialVersionUID = 1L;
  private final String type;
  private final String subject;

  /**
   * @param type the kind of precondition (UPPER_SNAKE_CASE, e.g. JOB_STATE), also the ErrorInfo
   *     reason
   * @param subject what failed it (e.g. "job:ID")
   * @param message for the client
   */
  public FailedPreconditionException(String type, String subject, String message) {
    super(message);
    this.type = type;
    this.subject = subject;
  }

  public String type() {
    return type;
  }

  public String subject() {
    return subject;
  }
}
