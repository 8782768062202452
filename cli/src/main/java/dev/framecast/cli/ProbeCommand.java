package dev.framecast.cli;

import dev.framecast.media.Mp4Decoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code ./framecast probe FILE [--frames N]}: decodes an MP4 with the platform's own decoder
 * (FFmpeg, as {@code eval} does) and prints its codec, frame count and size; with {@code --frames}
 * it exits 1 unless the clip holds exactly N decodable frames (what CI checks of a downloaded
 * clip).
 */
final class ProbeCommand {
  static final String USAGE =
      """
      Usage: framecast probe FILE [--frames N]

      Decodes the MP4 FILE (the platform's FFmpeg decoder) and prints its codec, how many frames
      decode and their size. Exit status 1 when --frames N is given and the count differs, or the
      file does not decode.
      """;

  private ProbeCommand() {}

  static int run(String[] args, Terminal terminal) throws CliException {
    Path file = null;
    Integer frames = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "-h", "--help" -> {
          terminal.out().print(USAGE);
          return 0;
        }
        case "--frames" -> {
          if (i + 1 >= args.length) {
            throw new UsageException("--frames needs a number");
          }
          frames = Values.positive("--frames", args[++i]);
        }
        default -> {
          if (arg.startsWith("--") || file != null) {
            throw new UsageException("unexpected argument '" + arg + "'");
          }
          file = Path.of(arg);
        }
      }
    }
    if (file == null) {
      throw new UsageException("which file? (framecast probe FILE)");
    }
    if (!Files.isRegularFile(file)) {
      throw CliException.jobFailed(file + ": no such file");
    }
    Mp4Decoder.Decoded clip;
    try {
      clip = Mp4Decoder.decode(file);
    } catch (IOException e) {
      throw CliException.jobFailed(file + ": does not decode: " + e.getMessage());
    }
    terminal
        .out()
        .println(
            file
                + ": "
                + clip.codec()
                + ", "
                + clip.frames().size()
                + " frames, "
                + clip.width()
                + "x"
                + clip.height()
                + ", "
                + clip.pixelFormat());
    if (frames != null && clip.frames().size() != frames) {
      throw CliException.jobFailed(
          file + ": " + clip.frames().size() + " frames decode, not " + frames);
    }
    return 0;
  }
}
