package dev.framecast.cli;

import dev.framecast.api.v1.CancelJobRequest;
import dev.framecast.cli.client.FramecastClient;
import dev.framecast.cli.client.JobFollower;
import dev.framecast.cli.client.StatusReport;
import dev.framecast.cli.client.Tokens;
import dev.framecast.devissuer.DevIssuer;
import io.grpc.StatusRuntimeException;
import java.io.Console;
import java.util.Map;

/** {@code ./framecast generate}: one job on a running gateway. */
final class GenerateCommand {
  private GenerateCommand() {}

  static int run(String[] args, Terminal terminal, Map<String, String> env)
      throws CliException, InterruptedException {
    GenerateOptions options = GenerateOptions.parse(args, env);
    if (options == null) {
      terminal.out().print(GenerateOptions.USAGE);
      return 0;
    }
    Tokens.Token token =
        Tokens.resolve(
            options.token(), env, options.server(), options.tenant(), DevIssuer.defaultDirectory());
    try (FramecastClient client = FramecastClient.connect(options.server(), token.value())) {
      GenerateRun run =
          new GenerateRun(client, terminal, token.source(), JobFollower.Retry.standard());
      CtrlC ctrlC =
          new CtrlC(
              run,
              consolePrompt(),
              id -> cancel(client, id),
              terminal,
              "./framecast generate --server "
                  + options.server()
                  + " --out "
                  + options.out()
                  + " --watch ",
              System::exit);
      CtrlC.install(ctrlC::interrupted);
      GenerateRun.Result result =
          options.watchJobId() == null
              ? run.generate(options.request().toRequest(), options.out())
              : run.watch(options.watchJobId(), options.out());
      GenerateRun.printSummary(result, terminal);
      return 0;
    }
  }

  /** Asks on the terminal; none when stdin or stdout is redirected (then Ctrl-C detaches). */
  private static CtrlC.Prompt consolePrompt() {
    Console console = System.console();
    return console == null ? null : question -> console.readLine("%s", question);
  }

  private static String cancel(FramecastClient client, String jobId) {
    try {
      client
          .unary()
          .cancelJob(
              CancelJobRequest.newBuilder()
                  .setJobId(jobId)
                  .setReason("cancelled with Ctrl-C from the command line")
                  .build());
      return null;
    } catch (StatusRuntimeException e) {
      return String.join(" ", StatusReport.describe(e));
    }
  }
}
