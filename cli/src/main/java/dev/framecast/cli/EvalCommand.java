package dev.framecast.cli;

import dev.framecast.cli.client.FramecastClient;
import dev.framecast.cli.client.Tokens;
import dev.framecast.cli.embedded.EmbeddedGateway;
import dev.framecast.cli.eval.EvalPrompts;
import dev.framecast.cli.eval.EvalReport;
import dev.framecast.cli.eval.EvalRunner;
import dev.framecast.devissuer.DevIssuer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** {@code ./framecast eval}: the evaluation prompts through the platform, scored as eval.py. */
final class EvalCommand {
  private EvalCommand() {}

  static int run(String[] args, Terminal terminal, Map<String, String> env)
      throws CliException, InterruptedException {
    EvalOptions options = EvalOptions.parse(args, env);
    if (options == null) {
      terminal.out().print(EvalOptions.USAGE);
      return 0;
    }
    if (options.server() != null) {
      Tokens.Token token =
          Tokens.resolve(
              options.token(),
              env,
              options.server(),
              options.tenant(),
              DevIssuer.defaultDirectory());
      try (FramecastClient client = FramecastClient.connect(options.server(), token.value())) {
        return evaluate(client, options, terminal, options.server().toString());
      }
    }
    try (EmbeddedGateway gateway =
        EmbeddedGateway.start(
            options.gatewayJar(), options.modelRepository(), options.verbose(), terminal.err())) {
      try (FramecastClient client =
          FramecastClient.connect(gateway.address(), gateway.token(Tokens.DEFAULT_TENANT))) {
        return evaluate(client, options, terminal, "embedded");
      }
    }
  }

  private static int evaluate(
      FramecastClient client, EvalOptions options, Terminal terminal, String server)
      throws CliException, InterruptedException {
    List<EvalPrompts.EvalPrompt> prompts = EvalPrompts.all().subList(0, options.limit());
    terminal.err().printf("Generating %d evaluation clips on %s ...%n", prompts.size(), server);
    long started = System.nanoTime();
    String runId = UUID.randomUUID().toString().substring(0, 8);
    List<EvalRunner.Row> rows =
        new EvalRunner(
                client,
                options.parallel(),
                options.steps(),
                options.guidance(),
                terminal.err(),
                runId)
            .run(prompts);
    double seconds = (System.nanoTime() - started) / 1e9;
    EvalReport report = new EvalReport(rows);
    report.table().forEach(terminal.out()::println);
    terminal.out().println(report.totals());
    write(report, options, server, seconds, terminal);
    if (rows.stream().anyMatch(EvalRunner.Row::serverError)) {
      throw CliException.server(
          "some prompts got no clip: "
              + rows.stream()
                  .filter(EvalRunner.Row::serverError)
                  .findFirst()
                  .map(EvalRunner.Row::error)
                  .orElse(""));
    }
    if (rows.stream().anyMatch(r -> r.error() != null)) {
      throw CliException.jobFailed("some evaluation jobs failed (see the table)");
    }
    return 0;
  }

  private static void write(
      EvalReport report, EvalOptions options, String server, double seconds, Terminal terminal)
      throws CliException {
    try {
      if (options.json() != null) {
        Map<String, Object> meta = new LinkedHashMap<>();
        // As requested; null means the pipeline's default (each row has the steps it ran).
        meta.put("steps", options.steps() == 0 ? null : options.steps());
        meta.put("guidance", options.guidance());
        meta.put("seconds", Math.round(seconds * 100) / 100.0);
        meta.put("server", server);
        Files.writeString(options.json(), report.json(meta), StandardCharsets.UTF_8);
        terminal.err().println("Wrote " + options.json());
      }
      if (options.sheet() != null) {
        byte[] sheet = report.sheet();
        if (sheet == null) {
          terminal.err().println("No clip was produced, so no contact sheet.");
        } else {
          Files.write(options.sheet(), sheet);
          terminal.err().println("Wrote " + options.sheet());
        }
      }
    } catch (IOException e) {
      throw CliException.usage("cannot write the report: " + e.getMessage());
    }
  }
}
