package dev.framecast.common.errors;

/**
 * No job of the caller's tenant has this id: NOT_FOUND. Another tenant's job gets the same answer,
 * so ids leak nothing about other tenants.
 */
public final class JobNotFoundException extends AdmissionException {
  private static final long serialVersionUID = 1L;
  private final String jobId;

  public JobNotFoundException(String jobId) {
    super("job " + quote(jobId) + " not found");
    this.jobId = jobId;
  }

  public String jobId() {
    return jobId;
  }
}
