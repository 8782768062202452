package dev.framecast.cli.client;

/** The server's events contradict each other (a clip with a gap, a wrong size): exit code 3. */
public final class BrokenStreamException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BrokenStreamException(String message) {
    super(message);
  }
}
