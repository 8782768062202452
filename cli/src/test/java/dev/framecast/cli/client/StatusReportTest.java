package dev.framecast.cli.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import org.junit.jupiter.api.Test;

class StatusReportTest {
  @Test
  void fieldViolationsAreListedUnderTheCode() {
    com.google.rpc.Status status =
        com.google.rpc.Status.newBuilder()
            .setCode(Code.INVALID_ARGUMENT_VALUE)
            .setMessage("the request is invalid")
            .addDetails(
                Any.pack(
                    BadRequest.newBuilder()
                        .addFieldViolations(
                            BadRequest.FieldViolation.newBuilder()
                                .setField("steps")
                                .setDescription("must be at most 100, got 500"))
                        .addFieldViolations(
                            BadRequest.FieldViolation.newBuilder()
                                .setField("prompt")
                                .setDescription("is required"))
                        .build()))
            .build();

    assertThat(StatusReport.describe(StatusProto.toStatusRuntimeException(status)))
        .containsExactly(
            "INVALID_ARGUMENT: the request is invalid",
            "  steps: must be at most 100, got 500",
            "  prompt: is required");
  }

  @Test
  void retryInfoGivesTheDelay() {
    com.google.rpc.Status status =
        com.google.rpc.Status.newBuilder()
            .setCode(Code.RESOURCE_EXHAUSTED_VALUE)
            .setMessage("tenant acme has 128 queued jobs")
            .addDetails(
                Any.pack(
                    RetryInfo.newBuilder()
                        .setRetryDelay(Duration.newBuilder().setSeconds(2).setNanos(500_000_000))
                        .build()))
            .addDetails(
                Any.pack(
                    ErrorInfo.newBuilder()
                        .setReason("QUEUE_FULL")
                        .setDomain("framecast.dev")
                        .build()))
            .build();
    var error = StatusProto.toStatusRuntimeException(status);

    assertThat(StatusReport.describe(error))
        .containsExactly(
            "RESOURCE_EXHAUSTED: tenant acme has 128 queued jobs",
            "  retry after 3s (RetryInfo)",
            "  reason QUEUE_FULL (framecast.dev)");
    assertThat(StatusReport.retryDelay(error)).hasValue(java.time.Duration.ofMillis(2500));
  }

  @Test
  void aPlainStatusIsItsCodeAndDescription() {
    assertThat(
            StatusReport.describe(
                Status.UNAUTHENTICATED.withDescription("bad token").asRuntimeException()))
        .containsExactly("UNAUTHENTICATED: bad token");
    assertThat(StatusReport.describe(Status.UNAVAILABLE.asRuntimeException()))
        .containsExactly("UNAVAILABLE");
    // What grpc-java makes of a plain HTTP 401, and of a refused connection.
    assertThat(
            StatusReport.describe(
                Status.UNAUTHENTICATED
                    .withDescription("HTTP status code 401\ninvalid content-type: null")
                    .asRuntimeException()))
        .containsExactly("UNAUTHENTICATED: HTTP status code 401");
    assertThat(
            StatusReport.brief(
                Status.UNAVAILABLE
                    .withDescription("io exception")
                    .withCause(new java.net.ConnectException("Connection refused"))))
        .isEqualTo("UNAVAILABLE: io exception (Connection refused)");
  }
}
