package dev.framecast.gateway.rest;

import com.google.protobuf.Any;
import com.google.protobuf.util.Durations;
import com.google.rpc.RetryInfo;
import dev.framecast.gateway.api.Statuses;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Errors of the REST API: the same gRPC status the gRPC API would return, as an HTTP status and
 * Google's JSON error shape {@code {"error":{"code","status","message","details"}}}, with the
 * google.rpc details (BadRequest field violations, RetryInfo also as Retry-After).
 */
public class ApiErrors {

  /** HTTP status for a gRPC code (Google's mapping; FAILED_PRECONDITION as 409 Conflict). */
  static int http(Status.Code code) {
    return switch (code) {
      case OK -> 200;
      case INVALID_ARGUMENT, OUT_OF_RANGE -> 400;
      case UNAUTHENTICATED -> 401;
      case PERMISSION_DENIED -> 403;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS, ABORTED, FAILED_PRECONDITION -> 409;
      case RESOURCE_EXHAUSTED -> 429;
      case CANCELLED -> 499;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE -> 503;
      case DEADLINE_EXCEEDED -> 504;
      default -> 500;
    };
  }

  @ServerExceptionMapper
  public Response map(RuntimeException failure) {
    if (failure instanceof WebApplicationException web && web.getResponse().getStatus() < 500) {
      // JAX-RS's own answers (405, 406, 415 ...) keep their status, in our error shape.
      Status.Code code =
          switch (web.getResponse().getStatus()) {
            case 401 -> Status.Code.UNAUTHENTICATED;
            case 403 -> Status.Code.PERMISSION_DENIED;
            case 404 -> Status.Code.NOT_FOUND;
            default -> Status.Code.INVALID_ARGUMENT;
          };
      return body(web.getResponse().getStatus(), code, web.getMessage(), null).build();
    }
    com.google.rpc.Status status = StatusProto.fromThrowable(Statuses.of(failure));
    Status.Code code = Status.fromCodeValue(status.getCode()).getCode();
    Response.ResponseBuilder response = body(http(code), code, status.getMessage(), status);
    if (code == Status.Code.UNAUTHENTICATED) {
      response.header("WWW-Authenticate", "Bearer");
    }
    for (Any detail : status.getDetailsList()) {
      if (detail.is(RetryInfo.class)) {
        try {
          long millis = Durations.toMillis(detail.unpack(RetryInfo.class).getRetryDelay());
          response.header("Retry-After", Math.max(1, (millis + 999) / 1000));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          // A malformed detail only costs the header.
        }
      }
    }
    return response.build();
  }

  private static Response.ResponseBuilder body(
      int http, Status.Code code, String message, com.google.rpc.Status status) {
    StringBuilder json =
        new StringBuilder("{\"error\":{\"code\":")
            .append(http)
            .append(",\"status\":\"")
            .append(code.name())
            .append("\",\"message\":")
            .append(quote(message == null ? "" : message))
            .append(",\"details\":[");
    if (status != null) {
      for (int i = 0; i < status.getDetailsCount(); i++) {
        json.append(i > 0 ? "," : "").append(Json.print(status.getDetails(i)));
      }
    }
    json.append("]}}");
    return Response.status(http).type(MediaType.APPLICATION_JSON).entity(json.toString());
  }

  static String quote(String s) {
    return Json.print(com.google.protobuf.StringValue.of(s));
  }
}
