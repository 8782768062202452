package dev.framecast.cli;

import java.nio.file.Path;
import java.util.Map;

/**
 * {@code ./framecast demo}'s options: a generate request, without a server or token (the demo
 * starts its own gateway and mints its own token).
 *
 * @param request the job
 * @param out the clip's path; the contact sheet goes next to it with {@code .png}
 * @param modelRepository the Triton model repository the embedded gateway serves
 * @param gatewayJar the gateway's Quarkus fast-jar
 * @param verbose copy the gateway's logs to stderr
 */
public record DemoOptions(
    RequestOptions request, Path out, Path modelRepository, Path gatewayJar, boolean verbose) {

  static final String USAGE =
      """
      Usage: framecast demo "PROMPT" [options]

      Generates one clip on the embedded platform: starts the gateway in embedded mode (inference
      node + scheduler in its process, triton-models/ on the CPU with ONNX Runtime) on a free
      local port, generates through its public gRPC API like ./framecast generate, writes the
      clip and a contact sheet, and stops the gateway.

        --out FILE            the clip (default clip.mp4); the contact sheet is FILE with .png
        --steps N             denoising steps (default: the model's, 24)
        --seed S              seed of the initial noise (default: random, printed)
        --guidance G          classifier-free guidance scale (default: the model's, 2.0)
        --negative TEXT       negative prompt (default empty)
        --preview-every K     decode a preview every K steps (default 0: none)
        --priority P          interactive (default) or batch
        --no-frames           do not stream the frames; the sheet is decoded from the MP4
        --model-repository D  the Triton model repository (default triton-models)
        --verbose             show the gateway's logs
        -h, --help            this help

      Exit codes: 0 done, 1 the job failed, 2 bad options, 3 the gateway failed, 130 interrupted.
      """;

  /** Returns null for --help; throws {@link UsageException} with a clear message. */
  static DemoOptions parse(String[] args, Map<String, String> env) {
    Path root = RepositoryRoot.find(env);
    RequestOptions.Builder request = new RequestOptions.Builder();
    Path out = Path.of("clip.mp4");
    Path repository = RepositoryRoot.modelRepository(root);
    boolean verbose = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("-h") || arg.equals("--help")) {
        return null;
      } else if (arg.equals("--verbose")) {
        verbose = true;
      } else if (arg.equals("--no-frames")) {
        request.noFrames();
      } else if (RequestOptions.VALUED.contains(arg)) {
        request.accept(arg, Values.next(args, i++));
      } else if (arg.equals("--out")) {
        out = Path.of(Values.nonBlank(arg, Values.next(args, i++)));
      } else if (arg.equals("--model-repository")) {
        repository = Path.of(Values.nonBlank(arg, Values.next(args, i++)));
      } else if (arg.startsWith("--")) {
        throw new UsageException("unknown option '" + arg + "'");
      } else {
        request.prompt(arg);
      }
    }
    GenerateOptions.checkWritable(out);
    return new DemoOptions(
        request.build(), out, repository, RepositoryRoot.gatewayJar(root), verbose);
  }
}
