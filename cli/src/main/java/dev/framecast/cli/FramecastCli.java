package dev.framecast.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Entry point of the subcommands that run in Java: {@code generate}, {@code demo}, {@code eval} and
 * {@code probe}. Maps every way a command can end to the documented exit code, in this one place.
 */
public final class FramecastCli {
  static final String USAGE =
      """
      Usage: framecast generate|demo|eval|probe [options]   (framecast COMMAND --help for its options)
      """;

  private FramecastCli() {}

  public static void main(String[] args) {
    System.exit(run(args, Terminal.system(System.getenv()), System.getenv()));
  }

  /** Runs a command and returns its exit code (tests call this rather than main). */
  static int run(String[] args, Terminal terminal, Map<String, String> env) {
    String command = args.length == 0 ? "" : args[0];
    String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
    quietLogs(Arrays.asList(rest).contains("--verbose"));
    PrintStream err = terminal.err();
    try {
      return switch (command) {
        case "generate" -> GenerateCommand.run(rest, terminal, env);
        case "demo" -> DemoCommand.run(rest, terminal, env);
        case "eval" -> EvalCommand.run(rest, terminal, env);
        case "probe" -> ProbeCommand.run(rest, terminal);
        default -> {
          err.println("framecast: expected generate, demo, eval or probe; got '" + command + "'");
          err.print(USAGE);
          yield CliException.USAGE;
        }
      };
    } catch (UsageException e) {
      err.println("framecast " + command + ": " + e.getMessage());
      err.println("Run ./framecast " + command + " --help for the options.");
      return CliException.USAGE;
    } catch (CliException e) {
      err.println("framecast " + command + ": " + e.getMessage());
      return e.exitCode();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("framecast " + command + ": interrupted");
      return CliException.INTERRUPTED;
    }
  }

  /** grpc-java and Netty log through java.util.logging; only problems belong on a user's screen. */
  private static void quietLogs(boolean verbose) {
    Level level = verbose ? Level.INFO : Level.WARNING;
    Logger root = Logger.getLogger("");
    root.setLevel(level);
    for (var handler : root.getHandlers()) {
      handler.setLevel(level);
    }
  }
}
