package dev.framecast.cli;

import dev.framecast.cli.client.ServerAddress;
import dev.framecast.cli.client.Tokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code ./framecast generate}'s options.
 *
 * @param request the job to submit, or null with {@code --watch}
 * @param watchJobId the job to resume, or null to submit a new one
 * @param out the clip's path; the contact sheet goes next to it with {@code .png}
 * @param server the gateway
 * @param token {@code --token}, or null to look further (see {@link Tokens})
 * @param tenant the tenant of a development token minted for a local server
 */
public record GenerateOptions(
    RequestOptions request,
    String watchJobId,
    Path out,
    ServerAddress server,
    String token,
    String tenant) {

  static final String SERVER_ENV = "FRAMECAST_SERVER";

  static final String USAGE =
      """
      Usage: framecast generate "PROMPT" [options]
             framecast generate --watch JOB_ID [options]

      Generates one clip on a Framecast gateway: shows the job's progress, then writes the MP4 and
      a contact sheet of its frames, and prints the job id, seed and GPU-seconds. A dropped
      connection is resumed where it stopped; Ctrl-C asks whether to cancel the job.

        --out FILE             the clip (default clip.mp4); the contact sheet is FILE with .png
        --steps N              denoising steps (default: the model's)
        --seed S               seed of the initial noise (default: drawn by the server, printed)
        --guidance G           classifier-free guidance scale (default: the model's)
        --negative TEXT        negative prompt (default empty)
        --preview-every K      decode a preview every K steps (default 0: none)
        --priority P           interactive (default) or batch
        --idempotency-key K    resending the same request with K returns the same job
        --no-frames            do not stream the frames; the sheet is decoded from the MP4
        --watch JOB_ID         follow an existing job instead of submitting one
        --server URL           the gateway (default $FRAMECAST_SERVER, else localhost:8080);
                               host:port or http://host:port (plaintext), https://host[:port]
        --token T              bearer token (default $FRAMECAST_TOKEN; for a local server a
                               development token is minted from ~/.framecast)
        --tenant T             tenant of that development token (default acme)
        -h, --help             this help

      Exit codes: 0 done, 1 the job failed or was cancelled, 2 bad options, 3 the server refused
      or could not be reached, 130 interrupted.
      """;

  /** Returns null for --help; throws {@link UsageException} with a clear message. */
  static GenerateOptions parse(String[] args, Map<String, String> env) {
    RequestOptions.Builder request = new RequestOptions.Builder();
    String watch = null;
    Path out = Path.of("clip.mp4");
    String server = env.getOrDefault(SERVER_ENV, ServerAddress.DEFAULT);
    String token = null;
    String tenant = Tokens.DEFAULT_TENANT;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("-h") || arg.equals("--help")) {
        return null;
      } else if (arg.equals("--no-frames")) {
        request.noFrames();
      } else if (RequestOptions.VALUED.contains(arg)) {
        request.accept(arg, Values.next(args, i++));
      } else if (arg.equals("--out")) {
        out = Path.of(Values.nonBlank(arg, Values.next(args, i++)));
      } else if (arg.equals("--watch")) {
        watch = Values.nonBlank(arg, Values.next(args, i++));
      } else if (arg.equals("--server")) {
        server = Values.next(args, i++);
      } else if (arg.equals("--token")) {
        token = Values.nonBlank(arg, Values.next(args, i++));
      } else if (arg.equals("--tenant")) {
        tenant = Values.nonBlank(arg, Values.next(args, i++));
      } else if (arg.startsWith("--")) {
        throw new UsageException("unknown option '" + arg + "'");
      } else {
        request.prompt(arg);
      }
    }
    if (watch != null && request.shapesAJob()) {
      throw new UsageException(
          "--watch follows an existing job: give no prompt and no options that shape a new one");
    }
    checkWritable(out);
    return new GenerateOptions(
        watch == null ? request.build() : null,
        watch,
        out,
        ServerAddress.parse(server),
        token,
        tenant);
  }

  /** Fails now rather than after the job ran when the clip could not be written. */
  static void checkWritable(Path out) {
    Path dir = out.toAbsolutePath().getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new UsageException(
          "cannot write " + out + ": the directory " + dir + " does not exist");
    }
    if (Files.isDirectory(out)) {
      throw new UsageException("--out " + out + " is a directory; give a file name");
    }
  }
}
