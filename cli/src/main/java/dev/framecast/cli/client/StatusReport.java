package dev.framecast.cli.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.Help;
import com.google.rpc.PreconditionFailure;
import com.google.rpc.QuotaFailure;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns a gRPC error into lines a person can act on: the code and message, then each google.rpc
 * detail (field violations of BadRequest, RetryInfo's delay, ErrorInfo's reason, quota violations,
 * help links). Unknown details are named by type rather than dropped.
 */
public final class StatusReport {
  private StatusReport() {}

  /**
   * The lines of an error from a call ({@code StatusRuntimeException} or {@code StatusException}).
   */
  public static List<String> describe(Throwable error) {
    com.google.rpc.Status rich = StatusProto.fromThrowable(error);
    if (rich != null && rich.getDetailsCount() > 0) {
      return describe(rich);
    }
    List<String> lines = new ArrayList<>();
    lines.add(brief(Status.fromThrowable(error)));
    return lines;
  }

  /**
   * One line for a status without details: the code, the first line of the description (grpc-java
   * appends the raw HTTP trailers of a non-gRPC answer, such as a proxy's or an HTTP 401, on
   * further lines) and the transport's cause ("Connection refused" behind "io exception").
   */
  public static String brief(Status status) {
    String description = status.getDescription();
    if (description != null) {
      description = description.lines().findFirst().orElse("");
    }
    String line = headline(status.getCode().name(), description);
    Throwable cause = status.getCause();
    if (cause != null && cause.getMessage() != null && !line.contains(cause.getMessage())) {
      line += " (" + cause.getMessage().lines().findFirst().orElse("") + ")";
    }
    return line;
  }

  /** The lines of a google.rpc.Status (also how a Failed event reports why a job failed). */
  public static List<String> describe(com.google.rpc.Status status) {
    List<String> lines = new ArrayList<>();
    lines.add(
        headline(Status.fromCodeValue(status.getCode()).getCode().name(), status.getMessage()));
    for (Any detail : status.getDetailsList()) {
      try {
        details(detail, lines);
      } catch (InvalidProtocolBufferException e) {
        lines.add("  (an unreadable " + detail.getTypeUrl() + ")");
      }
    }
    return lines;
  }

  /** The delay RetryInfo asks for, if the error carries one. */
  public static Optional<Duration> retryDelay(Throwable error) {
    com.google.rpc.Status rich = StatusProto.fromThrowable(error);
    if (rich == null) {
      return Optional.empty();
    }
    for (Any detail : rich.getDetailsList()) {
      if (detail.is(RetryInfo.class)) {
        try {
          com.google.protobuf.Duration d = detail.unpack(RetryInfo.class).getRetryDelay();
          return Optional.of(Duration.ofSeconds(d.getSeconds(), d.getNanos()));
        } catch (InvalidProtocolBufferException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  private static String headline(String code, String message) {
    return message == null || message.isEmpty() ? code : code + ": " + message;
  }

  private static void details(Any detail, List<String> lines)
      throws InvalidProtocolBufferException {
    if (detail.is(BadRequest.class)) {
      for (BadRequest.FieldViolation v : detail.unpack(BadRequest.class).getFieldViolationsList()) {
        lines.add("  " + v.getField() + ": " + v.getDescription());
      }
    } else if (detail.is(RetryInfo.class)) {
      com.google.protobuf.Duration d = detail.unpack(RetryInfo.class).getRetryDelay();
      lines.add(
          "  retry after "
              + ProgressFormat.duration(d.getSeconds() + d.getNanos() / 1e9)
              + " (RetryInfo)");
    } else if (detail.is(ErrorInfo.class)) {
      ErrorInfo info = detail.unpack(ErrorInfo.class);
      lines.add(
          "  reason "
              + info.getReason()
              + (info.getDomain().isEmpty() ? "" : " (" + info.getDomain() + ")")
              + (info.getMetadataMap().isEmpty() ? "" : " " + info.getMetadataMap()));
    } else if (detail.is(QuotaFailure.class)) {
      for (QuotaFailure.Violation v : detail.unpack(QuotaFailure.class).getViolationsList()) {
        lines.add("  quota " + v.getSubject() + ": " + v.getDescription());
      }
    } else if (detail.is(PreconditionFailure.class)) {
      for (PreconditionFailure.Violation v :
          detail.unpack(PreconditionFailure.class).getViolationsList()) {
        lines.add("  " + v.getType() + " " + v.getSubject() + ": " + v.getDescription());
      }
    } else if (detail.is(Help.class)) {
      for (Help.Link link : detail.unpack(Help.class).getLinksList()) {
        lines.add("  see " + link.getDescription() + ": " + link.getUrl());
      }
    } else {
      lines.add("  (detail " + detail.getTypeUrl() + ")");
    }
  }
}
