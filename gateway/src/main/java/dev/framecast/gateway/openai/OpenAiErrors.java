package dev.framecast.gateway.openai;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.Durations;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.framecast.gateway.api.Statuses;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import jakarta.json.Json;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Locale;

/**
 * Errors of the Videos API in OpenAI's shape, {@code {"error":{"message","type","param","code"}}},
 * with the HTTP status OpenAI's clients expect: 400 for a bad parameter (naming it in {@code
 * param}), 401 for a missing or bad API key (the bearer token), 403, 404 (another tenant's video
 * too), 409 for a video that is not ready, 429 and 503 with {@code Retry-After}, 500.
 */
final class OpenAiErrors {
  private OpenAiErrors() {}

  /** A parameter error raised here (not by the scheduler): 400 naming the parameter. */
  static final class BadParameter extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String param;
    final String code;

    BadParameter(String param, String code, String message) {
      super(message);
      this.param = param;
      this.code = code;
    }
  }

  static Response of(Throwable failure) {
    if (failure instanceof BadParameter bad) {
      return body(400, "invalid_request_error", bad.param, bad.code, bad.getMessage()).build();
    }
    if (failure instanceof ByteRange.NotSatisfiable range) {
      return body(
              416, "invalid_request_error", "Range", "range_not_satisfiable", range.getMessage())
          .build();
    }
    if (failure instanceof WebApplicationException web && web.getResponse().getStatus() < 500) {
      int http = web.getResponse().getStatus();
      return body(http, "invalid_request_error", null, null, web.getMessage()).build();
    }
    com.google.rpc.Status status = StatusProto.fromThrowable(Statuses.of(failure));
    Status.Code code = Status.fromCodeValue(status.getCode()).getCode();
    String param = null;
    String reason = null;
    long retryMillis = -1;
    for (Any detail : status.getDetailsList()) {
      try {
        if (detail.is(BadRequest.class)) {
          BadRequest bad = detail.unpack(BadRequest.class);
          if (bad.getFieldViolationsCount() > 0 && param == null) {
            param = bad.getFieldViolations(0).getField();
          }
        } else if (detail.is(ErrorInfo.class)) {
          reason = detail.unpack(ErrorInfo.class).getReason().toLowerCase(Locale.ROOT);
        } else if (detail.is(RetryInfo.class)) {
          retryMillis = Durations.toMillis(detail.unpack(RetryInfo.class).getRetryDelay());
        }
      } catch (InvalidProtocolBufferException e) {
        // A malformed detail only costs what it would have added.
      }
    }
    Response.ResponseBuilder response =
        switch (code) {
          case INVALID_ARGUMENT, OUT_OF_RANGE ->
              body(400, "invalid_request_error", param, "invalid_value", status.getMessage());
          case UNAUTHENTICATED ->
              body(401, "invalid_request_error", null, "invalid_api_key", status.getMessage())
                  .header("WWW-Authenticate", "Bearer");
          case PERMISSION_DENIED ->
              body(
                  403,
                  "invalid_request_error",
                  null,
                  reason == null ? "permission_denied" : reason,
                  status.getMessage());
          case NOT_FOUND ->
              body(404, "invalid_request_error", null, "not_found", status.getMessage());
          case FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS ->
              body(
                      409,
                      "invalid_request_error",
                      null,
                      reason == null ? "conflict" : reason,
                      status.getMessage())
                  // Waiting is the caller's choice (poll the video), not the SDK's retry loop.
                  .header("x-should-retry", "false");
          case RESOURCE_EXHAUSTED ->
              body(
                  429,
                  "rate_limit_error",
                  null,
                  reason == null ? "rate_limit_exceeded" : reason,
                  status.getMessage());
          case UNAVAILABLE -> body(503, "server_error", null, "unavailable", status.getMessage());
          case DEADLINE_EXCEEDED -> body(504, "server_error", null, "timeout", status.getMessage());
          case UNIMPLEMENTED ->
              body(501, "invalid_request_error", null, "not_implemented", status.getMessage());
          default -> body(500, "server_error", null, null, status.getMessage());
        };
    if (retryMillis >= 0) {
      response.header("Retry-After", Math.max(1, (retryMillis + 999) / 1000));
      response.header("retry-after-ms", retryMillis);
    }
    return response.build();
  }

  static Response.ResponseBuilder body(
      int http, String type, String param, String code, String message) {
    JsonObjectBuilder error =
        Json.createObjectBuilder().add("message", message == null ? "" : message).add("type", type);
    if (param == null) {
      error.addNull("param");
    } else {
      error.add("param", param);
    }
    if (code == null) {
      error.addNull("code");
    } else {
      error.add("code", code);
    }
    String json = Json.createObjectBuilder().add("error", error).build().toString();
    return Response.status(http).type(MediaType.APPLICATION_JSON).entity(json);
  }
}
