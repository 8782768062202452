package dev.framecast.cli;

/**
 * A bad option or argument, found before anything is sent; exit code 2. Unchecked so that option
 * parsers stay plain functions; {@link FramecastCli} catches it by type, never a library's {@code
 * IllegalArgumentException}, so a bug elsewhere is not reported as the user's mistake.
 */
public final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message);
  }
}
