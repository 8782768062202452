package dev.framecast.gateway.api;

import dev.framecast.common.errors.AdmissionException;
import dev.framecast.common.errors.GrpcStatusMapper;
import dev.framecast.gateway.drain.GatewayStoppingException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import org.jboss.logging.Logger;

/**
 * Every failure the gateway reports, as one gRPC status with its details: statuses from the
 * scheduler pass through unchanged (with their google.rpc details), the scheduler's typed admission
 * errors map in its one place ({@link GrpcStatusMapper}), security failures become UNAUTHENTICATED
 * / PERMISSION_DENIED, and anything else is INTERNAL without internals.
 */
public final class Statuses {
  private static final Logger LOG = Logger.getLogger(Statuses.class);

  private Statuses() {}

  public static StatusRuntimeException of(Throwable failure) {
    if (failure instanceof StatusRuntimeException status) {
      return status;
    }
    if (failure instanceof io.grpc.StatusException status) {
      return new StatusRuntimeException(status.getStatus(), status.getTrailers());
    }
    if (failure instanceof GatewayStoppingException stopping) {
      return stopping.toStatus();
    }
    if (failure instanceof AdmissionException) {
      return GrpcStatusMapper.toStatus(failure);
    }
    if (failure instanceof UnauthorizedException
        || failure instanceof AuthenticationFailedException) {
      return Status.UNAUTHENTICATED
          .withDescription("a valid bearer token is required")
          .asRuntimeException();
    }
    if (failure instanceof ForbiddenException) {
      return Status.PERMISSION_DENIED
          .withDescription("the token lacks the framecast-user role")
          .asRuntimeException();
    }
    if (failure instanceof IllegalArgumentException) {
      return Status.INVALID_ARGUMENT.withDescription(failure.getMessage()).asRuntimeException();
    }
    LOG.error("unexpected failure", failure);
    return Status.INTERNAL
        .withDescription("internal error; the gateway's log has the details")
        .asRuntimeException();
  }
}
