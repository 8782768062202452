package dev.framecast.common.errors;

/**
 * The scheduler is draining and takes no new jobs: UNAVAILABLE, which clients retry (on another
 * replica, behind a load balancer).
 */
public final class ShuttingDownException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  public ShuttingDownException() {
    super("the scheduler is shutting down and accepts no new jobs; retry");
  }
}
