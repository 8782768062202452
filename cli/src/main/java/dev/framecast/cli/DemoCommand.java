package dev.framecast.cli;

import dev.framecast.cli.client.FramecastClient;
import dev.framecast.cli.client.JobFollower;
import dev.framecast.cli.client.Tokens;
import dev.framecast.cli.embedded.EmbeddedGateway;
import java.util.Map;

/**
 * {@code ./framecast demo}: the README's first command. Starts the embedded gateway as a child
 * process and runs the same code path as {@code generate} against it, so the demo exercises the
 * real public API, authentication included. Ctrl-C needs no question here: the job lives in the
 * gateway this command owns, and the shutdown hook stops both.
 */
final class DemoCommand {
  private DemoCommand() {}

  static int run(String[] args, Terminal terminal, Map<String, String> env)
      throws CliException, InterruptedException {
    DemoOptions options = DemoOptions.parse(args, env);
    if (options == null) {
      terminal.out().print(DemoOptions.USAGE);
      return 0;
    }
    try (EmbeddedGateway gateway =
        EmbeddedGateway.start(
            options.gatewayJar(), options.modelRepository(), options.verbose(), terminal.err())) {
      String token = gateway.token(Tokens.DEFAULT_TENANT);
      try (FramecastClient client = FramecastClient.connect(gateway.address(), token)) {
        GenerateRun run =
            new GenerateRun(
                client,
                terminal,
                "the embedded gateway's development token",
                JobFollower.Retry.standard());
        // On Ctrl-C the shutdown hook stops the gateway under the running stream; the progress
        // display goes quiet first, so the user does not see reconnect attempts to it.
        Thread quiet = new Thread(run.progress()::pause, "quiet-progress");
        Runtime.getRuntime().addShutdownHook(quiet);
        GenerateRun.Result result;
        try {
          result = run.generate(options.request().toRequest(), options.out());
        } finally {
          try {
            Runtime.getRuntime().removeShutdownHook(quiet);
          } catch (IllegalStateException e) {
            // Shutting down already (Ctrl-C): the hook ran; the JVM is on its way out.
          }
        }
        GenerateRun.printSummary(result, terminal);
        return 0;
      } catch (CliException e) {
        if (e.exitCode() == CliException.SERVER) {
          throw new CliException(
              e.exitCode(),
              e.getMessage() + "\nThe gateway's last lines:\n" + gateway.logTail(),
              e);
        }
        throw e;
      }
    }
  }
}
