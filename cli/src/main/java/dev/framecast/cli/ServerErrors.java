package dev.framecast.cli;

import dev.framecast.cli.client.ServerAddress;
import dev.framecast.cli.client.StatusReport;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;

/** Turns a refused call into exit code 3 with the server's details and a hint of what to do. */
final class ServerErrors {
  private ServerErrors() {}

  static CliException of(StatusRuntimeException e, ServerAddress server, String tokenSource) {
    List<String> lines = StatusReport.describe(e);
    boolean unreachable = e.getStatus().getCode() == Status.Code.UNAVAILABLE;
    StringBuilder message =
        new StringBuilder(
            unreachable ? "cannot reach " + server + ": " : server + " refused the call: ");
    message.append(String.join(System.lineSeparator(), lines));
    String hint = hint(e.getStatus().getCode(), server, tokenSource);
    if (hint != null) {
      message.append(System.lineSeparator()).append("  hint: ").append(hint);
    }
    return new CliException(CliException.SERVER, message.toString(), e);
  }

  private static String hint(Status.Code code, ServerAddress server, String tokenSource) {
    return switch (code) {
      case UNAVAILABLE ->
          "is a gateway running at "
              + server
              + "? Start one with ./framecast serve, or use ./framecast demo (embedded)";
      case UNAUTHENTICATED ->
          "the token ("
              + tokenSource
              + ") was not accepted; ./framecast token --tenant acme prints one the local gateway"
              + " trusts, or pass --token / set FRAMECAST_TOKEN";
      case PERMISSION_DENIED ->
          "the token's tenant may not do this (unknown tenant, or a"
              + " pipeline it is not allowed)";
      case RESOURCE_EXHAUSTED ->
          "the tenant's quota is used up for now; retry after the delay" + " above";
      case DEADLINE_EXCEEDED -> "the server did not answer in time";
      default -> null;
    };
  }
}
