package dev.framecast.cli;

import dev.framecast.cli.client.ServerAddress;
import dev.framecast.cli.client.Tokens;
import dev.framecast.cli.eval.EvalPrompts;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code ./framecast eval}'s options.
 *
 * @param server the gateway, or null to start the embedded one
 * @param token {@code --token}, or null to look further (see {@link Tokens})
 * @param tenant the tenant of a development token minted for a local server
 * @param steps denoising steps, 0 for the pipeline's default (eval.py's 24)
 * @param guidance guidance scale, null for the pipeline's default (eval.py's 4)
 * @param limit evaluate only the first this-many prompts
 * @param parallel jobs in flight at once
 * @param json where to write the JSON report, or null
 * @param sheet where to write the contact sheet, or null
 * @param modelRepository the model repository of the embedded gateway
 * @param gatewayJar the embedded gateway's fast-jar
 * @param verbose copy the embedded gateway's logs to stderr
 */
public record EvalOptions(
    ServerAddress server,
    String token,
    String tenant,
    int steps,
    Float guidance,
    int limit,
    int parallel,
    Path json,
    Path sheet,
    Path modelRepository,
    Path gatewayJar,
    boolean verbose) {

  static final int DEFAULT_PARALLEL = 8;

  static final String USAGE =
      """
      Usage: framecast eval [options]

      Generates the 28 evaluation prompts of triton-models/training/eval.py (same prompts, same
      seeds) through the public API, decodes each MP4 and scores it with eval.py's rules: the
      colour of the bright pixels, the direction their centroid moves and the shapes in each
      frame (one is right). Prints a line per prompt and the totals (colour x/28, direction
      x/28, frames with one shape). Without --server it starts the embedded gateway, as demo
      does.

        --server URL          a running gateway instead of the embedded one
        --token T             bearer token for --server (default $FRAMECAST_TOKEN; for a local
                              server a development token is minted from ~/.framecast)
        --tenant T            tenant of that development token (default acme)
        --steps N             denoising steps (default: the model's, 24 as in eval.py)
        --guidance G          guidance scale (default: the model's, as eval.py's)
        --limit N             only the first N prompts (a quick check)
        --parallel N          jobs in flight at once (default 8)
        --json FILE           write the report as JSON (eval.py's keys)
        --sheet FILE          write a contact sheet: a row per prompt, every 2nd frame
        --model-repository D  the embedded gateway's models (default triton-models)
        --verbose             show the embedded gateway's logs
        -h, --help            this help

      Exit codes: 0 every job produced a clip (whatever its score), 1 a job failed, 2 bad
      options, 3 the server refused or could not be reached, 130 interrupted.
      """;

  /** Returns null for --help; throws {@link UsageException} with a clear message. */
  static EvalOptions parse(String[] args, Map<String, String> env) {
    Path root = RepositoryRoot.find(env);
    String server = null;
    String token = null;
    String tenant = Tokens.DEFAULT_TENANT;
    int steps = 0;
    Float guidance = null;
    int prompts = EvalPrompts.all().size();
    int limit = prompts;
    int parallel = DEFAULT_PARALLEL;
    Path json = null;
    Path sheet = null;
    Path repository = RepositoryRoot.modelRepository(root);
    boolean verbose = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "-h", "--help" -> {
          return null;
        }
        case "--verbose" -> verbose = true;
        case "--server" -> server = Values.next(args, i++);
        case "--token" -> token = Values.nonBlank(arg, Values.next(args, i++));
        case "--tenant" -> tenant = Values.nonBlank(arg, Values.next(args, i++));
        case "--steps" -> steps = Values.positive(arg, Values.next(args, i++));
        case "--guidance" -> guidance = Values.number(arg, Values.next(args, i++));
        case "--limit" -> limit = Math.min(prompts, Values.positive(arg, Values.next(args, i++)));
        case "--parallel" -> parallel = Values.positive(arg, Values.next(args, i++));
        case "--json" -> json = output(arg, Values.next(args, i++));
        case "--sheet" -> sheet = output(arg, Values.next(args, i++));
        case "--model-repository" ->
            repository = Path.of(Values.nonBlank(arg, Values.next(args, i++)));
        default ->
            throw new UsageException(
                arg.startsWith("-")
                    ? "unknown option '" + arg + "'"
                    : "eval takes no prompt (it runs eval.py's 28); got '" + arg + "'");
      }
    }
    if (server == null && (token != null || !tenant.equals(Tokens.DEFAULT_TENANT))) {
      throw new UsageException(
          "--token and --tenant go with --server (the embedded gateway" + " mints its own token)");
    }
    return new EvalOptions(
        server == null ? null : ServerAddress.parse(server),
        token,
        tenant,
        steps,
        guidance,
        limit,
        parallel,
        json,
        sheet,
        repository,
        RepositoryRoot.gatewayJar(root),
        verbose);
  }

  private static Path output(String option, String value) {
    Path path = Path.of(Values.nonBlank(option, value));
    GenerateOptions.checkWritable(path);
    return path;
  }
}
