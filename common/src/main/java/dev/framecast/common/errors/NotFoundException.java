package dev.framecast.common.errors;

/**
 * What the request names does not exist for the caller: NOT_FOUND with a {@code
 * google.rpc.ResourceInfo}. Another tenant's job gets the same answer as no job, so ids leak
 * nothing about other tenants.
 */
public final class NotFoundException extends AdmissionException {
  private static final long serialVersionUID = 1L;
  private final String reason;
  private final String resourceType;
  private final String resourceName;

  private NotFoundException(
      String reason, String resourceType, String resourceName, String message) {
    super(message);
    this.reason = reason;
    this.resourceType = resourceType;
    this.resourceName = resourceName;
  }

  /** No job of the caller's tenant has this id. */
  public static NotFoundException job(String jobId) {
    return new NotFoundException(
        "JOB_NOT_FOUND", "framecast.v1.Job", jobId, "job " + quote(jobId) + " not found");
  }

  /** The job succeeded, but its clip is no longer stored (retention, or the store lost it). */
  public static NotFoundException clip(String jobId) {
    return new NotFoundException(
        "CLIP_NOT_STORED",
        "framecast.v1.Clip",
        jobId,
        "the clip of job " + quote(jobId) + " is no longer stored");
  }

  /** The job succeeded, but this asset of it (a thumbnail, a sprite sheet) is not stored. */
  public static NotFoundException asset(String jobId, String variant) {
    return new NotFoundException(
        "ASSET_NOT_STORED",
        "framecast.v1.Clip",
        jobId + "/" + variant,
        "the " + variant + " of job " + quote(jobId) + " is not stored (expired or never made)");
  }

  /** The ErrorInfo reason. */
  public String reason() {
    return reason;
  }

  public String resourceType() {
    return resourceType;
  }

  public String resourceName() {
    return resourceName;
  }
}
