package dev.framecast.node.repository;

/** A model (or one version) could not be loaded; the message becomes its state's reason. */
public final class ModelLoadException extends Exception {
  private static final long serialVersionUID = 1L;

  public ModelLoadException(String message) {
    super(message);
  }

  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
