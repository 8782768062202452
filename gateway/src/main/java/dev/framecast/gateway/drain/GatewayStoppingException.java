package dev.framecast.gateway.drain;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.framecast.common.errors.GrpcStatusMapper;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;

/**
 * An event stream ended by a stopping gateway, not by its job: the client reconnects (to this
 * gateway's replacement, or any other replica) and resumes after {@link #afterSeq()}. gRPC clients
 * see UNAVAILABLE with {@code RetryInfo} and an {@code ErrorInfo} (reason {@value #REASON}, the seq
 * in its {@code after_seq} metadata); browsers a final {@code reconnect} event.
 */
public final class GatewayStoppingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The ErrorInfo reason clients may test for. */
  public static final String REASON = "GATEWAY_STOPPING";

  private final long afterSeq;
  private final Duration retryAfter;

  GatewayStoppingException(long afterSeq, Duration retryAfter) {
    super(
        "the gateway is stopping: reconnect and resume after event "
            + afterSeq
            + " (WatchJob after_seq, or the Last-Event-ID header)");
    this.afterSeq = afterSeq;
    this.retryAfter = retryAfter;
  }

  /** The seq of the last event this stream delivered (0: none). */
  public long afterSeq() {
    return afterSeq;
  }

  public Duration retryAfter() {
    return retryAfter;
  }

  /** UNAVAILABLE, with RetryInfo and the ErrorInfo that names the seq to resume after. */
  public StatusRuntimeException toStatus() {
    com.google.rpc.Status status =
        com.google.rpc.Status.newBuilder()
            .setCode(Code.UNAVAILABLE_VALUE)
            .setMessage(getMessage())
            .addDetails(
                Any.pack(
                    ErrorInfo.newBuilder()
                        .setReason(REASON)
                        .setDomain(GrpcStatusMapper.DOMAIN)
                        .putMetadata("after_seq", Long.toString(afterSeq))
                        .build()))
            .addDetails(
                Any.pack(
                    RetryInfo.newBuilder()
                        .setRetryDelay(
                            com.google.protobuf.Duration.newBuilder()
                                .setSeconds(retryAfter.getSeconds())
                                .setNanos(retryAfter.getNano()))
                        .build()))
            .build();
    return StatusProto.toStatusRuntimeException(status);
  }
}
