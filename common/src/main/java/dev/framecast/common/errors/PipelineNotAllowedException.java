package dev.framecast.common.errors;

import java.util.List;

/** The tenant's policy does not list the requested pipeline: PERMISSION_DENIED. */
public final class PipelineNotAllowedException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final String tenant;
  private final String pipeline;
  private final List<String> allowedPipelines;

  public PipelineNotAllowedException(
      String tenant, String pipeline, List<String> allowedPipelines) {
    super(
        "tenant "
            + quote(tenant)
            + " may not use pipeline "
            + quote(pipeline)
            + "; allowed: "
            + String.join(", ", allowedPipelines));
    this.tenant = tenant;
    this.pipeline = pipeline;
    this.allowedPipelines = List.copyOf(allowedPipelines);
  }

  public String tenant() {
    return tenant;
  }

  public String pipeline() {
    return pipeline;
  }

  public List<String> allowedPipelines() {
    return allowedPipelines;
  }
}
