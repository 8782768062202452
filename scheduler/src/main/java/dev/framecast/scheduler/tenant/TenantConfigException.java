package dev.framecast.scheduler.tenant;

/**
 * A tenants file that cannot be used: unreadable, not YAML, or a field that is unknown, of the
 * wrong type or out of range. The message names the file, the tenant and the field, because an
 * operator reads it in a log line after a reload was refused.
 *
 * <p>Unchecked: at startup it should stop the process, and on reload {@link TenantRegistry} catches
 * it and keeps the previous policies.
 */
public class TenantConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TenantConfigException(String message) {
    super(message);
  }

  public TenantConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
