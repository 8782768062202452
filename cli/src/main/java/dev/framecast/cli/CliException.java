package dev.framecast.cli;

/**
 * A command could not do its work. Carries the process exit code, so the reason a command stopped
 * is decided where it is known and mapped to an exit code in one place ({@link FramecastCli}).
 */
public final class CliException extends Exception {
  private static final long serialVersionUID = 1L;

  /** The job failed or was cancelled (or, for eval, at least one job did). */
  public static final int JOB_FAILED = 1;

  /** Bad options or arguments: nothing was sent to a server. */
  public static final int USAGE = 2;

  /** The server refused or failed the call (authentication, quota, validation, connection). */
  public static final int SERVER = 3;

  /** Stopped with Ctrl-C (128 + SIGINT, what shells report). */
  public static final int INTERRUPTED = 130;

  private final int exitCode;

  public CliException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public CliException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  public static CliException usage(String message) {
    return new CliException(USAGE, message);
  }

  public static CliException server(String message) {
    return new CliException(SERVER, message);
  }

  public static CliException jobFailed(String message) {
    return new CliException(JOB_FAILED, message);
  }

  public int exitCode() {
    return exitCode;
  }
}
