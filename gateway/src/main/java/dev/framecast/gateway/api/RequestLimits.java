package dev.framecast.gateway.api;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.JobState;
import dev.framecast.api.v1.ListJobsRequest;
import dev.framecast.common.errors.InvalidRequestException;
import dev.framecast.common.errors.InvalidRequestException.FieldViolation;
import dev.framecast.gateway.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway's own bounds, checked before a request reaches the scheduler: sizes the gateway
 * refuses to forward at all. The pipeline's limits (steps, guidance, its prompt length, preview
 * interval) are checked by the scheduler, which reads them from the model configs; both report
 * google.rpc.BadRequest field violations, and neither queues anything for a bad request.
 */
@ApplicationScoped
public class RequestLimits {
  static final int MAX_JOB_ID = 128;
  static final int MAX_REASON = 1024;
  static final int MAX_PAGE_TOKEN = 256;
  static final int MAX_TENANT = 128;

  private final int maxPromptBytes;
  private final int maxKey;

  public RequestLimits(GatewayConfig config) {
    this.maxPromptBytes = config.limits().maxPromptBytes();
    this.maxKey = config.limits().maxIdempotencyKey();
  }

  /** The longest webhook URL taken (the scheduler's bound too). */
  static final int MAX_WEBHOOK_URL = 2048;

  public void check(GenerateRequest request) {
    List<FieldViolation> violations = new ArrayList<>();
    text(violations, "prompt", request.getPrompt());
    text(violations, "negative_prompt", request.getNegativePrompt());
    if (request.getModel().length() > MAX_JOB_ID) {
      violations.add(new FieldViolation("model", "model names are at most 128 characters"));
    }
    if (request.getWebhookUrl().length() > MAX_WEBHOOK_URL) {
      violations.add(
          new FieldViolation(
              "webhook_url", "webhook_url must be at most " + MAX_WEBHOOK_URL + " characters"));
    }
    if (request.getIdempotencyKey().length() > maxKey) {
      violations.add(
          new FieldViolation(
              "idempotency_key", "idempotency_key must be at most " + maxKey + " characters"));
    }
    if (request.hasGuidanceScale() && !Float.isFinite(request.getGuidanceScale())) {
      violations.add(
          new FieldViolation("guidance_scale", "guidance_scale must be a finite number"));
    }
    if (!violations.isEmpty()) {
      throw new InvalidRequestException(violations);
    }
  }

  private void text(List<FieldViolation> violations, String field, String value) {
    // UTF-8 can take up to 3 bytes per char: skip the encoding when it cannot be over.
    if (value.length() * 3L <= maxPromptBytes) {
      return;
    }
    int bytes = value.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > maxPromptBytes) {
      violations.add(
          new FieldViolation(
              field,
              field
                  + " is "
                  + bytes
                  + " bytes of UTF-8; the gateway accepts at most "
                  + maxPromptBytes));
    }
  }

  public void jobId(String jobId) {
    if (jobId.isEmpty()) {
      throw new InvalidRequestException(
          List.of(new FieldViolation("job_id", "job_id is required")));
    }
    if (jobId.length() > MAX_JOB_ID) {
      throw new InvalidRequestException(
          List.of(new FieldViolation("job_id", "job_id is at most 128 characters")));
    }
  }

  /** CancelJob: the job id, and the reason (free text for the cancelled event, bounded). */
  public void cancel(String jobId, String reason) {
    jobId(jobId);
    if (reason.length() > MAX_REASON) {
      throw InvalidRequestException.of(
          "reason", "reason is at most " + MAX_REASON + " characters, got " + reason.length());
    }
  }

  /** ListJobs: the page token (opaque, bounded) and the states (known values only). */
  public void list(ListJobsRequest request) {
    List<FieldViolation> violations = new ArrayList<>();
    if (request.getPageToken().length() > MAX_PAGE_TOKEN) {
      violations.add(
          new FieldViolation(
              "page_token", "page_token is at most " + MAX_PAGE_TOKEN + " characters"));
    }
    if (request.getAfterJobId().length() > MAX_JOB_ID) {
      violations.add(new FieldViolation("after_job_id", "after_job_id is at most 128 characters"));
    }
    for (int value : request.getStatesValueList()) {
      JobState state = JobState.forNumber(value);
      if (state == null || state == JobState.JOB_STATE_UNSPECIFIED) {
        violations.add(new FieldViolation("states", "unknown job state value " + value));
      }
    }
    if (!violations.isEmpty()) {
      throw new InvalidRequestException(violations);
    }
  }

  /** GetUsage: the tenant named (empty: the caller's own). */
  public void usage(String tenant) {
    if (tenant.length() > MAX_TENANT) {
      throw InvalidRequestException.of(
          "tenant", "tenant names are at most " + MAX_TENANT + " characters");
    }
  }
}
