package dev.framecast.common.errors;

/** The caller's tenant has no policy: refused with PERMISSION_DENIED. */
public final class UnknownTenantException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final String tenant;

  public UnknownTenantException(String tenant) {
    super("tenant " + quote(tenant) + " is not configured");
    this.tenant = tenant;
  }

  public String tenant() {
    return tenant;
  }
}
