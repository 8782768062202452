package dev.framecast.media;

/** An encoder failed for a reason other than its input: a library error or a temporary file. */
public final class ClipEncodingException extends RuntimeException {
  public ClipEncodingException(String message) {
    super(message);
  }

  public ClipEncodingException(String message, Throwable cause) {
    super(message, cause);
  }
}
