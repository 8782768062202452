package dev.framecast.common.errors;

/**
 * The caller is known but may not do this (e.g. read another tenant's usage): PERMISSION_DENIED.
 */
public final class PermissionDeniedException extends AdmissionException {
  private static final long serialVersionUID = 1L;
  private final String reason;

  /**
   * @param reason a stable machine-readable reason (UPPER_SNAKE_CASE, the ErrorInfo reason)
   * @param message for the client
   */
  public PermissionDeniedException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
