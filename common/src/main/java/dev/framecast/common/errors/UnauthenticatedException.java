package dev.framecast.common.errors;

/** The call proves no identity (no or no usable token, no tenant): UNAUTHENTICATED. */
public final class UnauthenticatedException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  public UnauthenticatedException(String message) {
    super(message);
  }
}
