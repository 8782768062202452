package dev.framecast.scheduler.job;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Priority;

/**
 * What the engine runs, made once at admission from a normalized request: every value settled
 * (pipeline, steps, guidance and seed filled in, priority resolved), none optional. The engine
 * reads this, never the wire message; {@link #toRequest} gives the public view back.
 *
 * @param pipeline the pipeline's name
 * @param previewEvery a preview every this many steps (0: none)
 * @param framePngs whether the client asked for each frame as a PNG event
 * @param idempotencyKey the client's key ("" when none), kept for the public view
 * @param webhookUrl where this job's end is also POSTed ("" when nowhere but the tenant's)
 */
public record JobSpec(
    String pipeline,
    String prompt,
    String negativePrompt,
    int steps,
    float guidance,
    long seed,
    boolean interactive,
    int previewEvery,
    boolean framePngs,
    String idempotencyKey,
    String webhookUrl) {

  /** A spec without a webhook of its own. */
  public JobSpec(
      String pipeline,
      String prompt,
      String negativePrompt,
      int steps,
      float guidance,
      long seed,
      boolean interactive,
      int previewEvery,
      boolean framePngs,
      String idempotencyKey) {
    this(
        pipeline,
        prompt,
        negativePrompt,
        steps,
        guidance,
        seed,
        interactive,
        previewEvery,
        framePngs,
        idempotencyKey,
        "");
  }

  public JobSpec {
    webhookUrl = webhookUrl == null ? "" : webhookUrl;
    if (pipeline == null || pipeline.isEmpty()) {
      throw new IllegalArgumentException("a job spec names its pipeline");
    }
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be at least 1, got " + steps);
    }
    if (previewEvery < 0 || previewEvery > steps) {
      throw new IllegalArgumentException(
          "preview_every must be between 0 and " + steps + ", got " + previewEvery);
    }
    if (!Float.isFinite(guidance)) {
      throw new IllegalArgumentException("guidance must be finite, got " + guidance);
    }
  }

  /**
   * The spec of a request the scheduler's normalizer has accepted (model, steps, guidance and seed
   * present). Throws IllegalArgumentException for one it has not.
   */
  public static JobSpec of(GenerateRequest normalized) {
    if (!normalized.hasSeed() || !normalized.hasGuidanceScale()) {
      throw new IllegalArgumentException("the request is not normalized: seed and guidance unset");
    }
    return new JobSpec(
        normalized.getModel(),
        normalized.getPrompt(),
        normalized.getNegativePrompt(),
        normalized.getSteps(),
        normalized.getGuidanceScale(),
        normalized.getSeed(),
        normalized.getPriority() != Priority.PRIORITY_BATCH,
        normalized.getPreviewEvery(),
        normalized.getIncludeFrames(),
        normalized.getIdempotencyKey(),
        normalized.getWebhookUrl());
  }

  public Priority priority() {
    return interactive ? Priority.PRIORITY_INTERACTIVE : Priority.PRIORITY_BATCH;
  }

  /** The request as the public API shows it: every default filled in. */
  public GenerateRequest toRequest() {
    return GenerateRequest.newBuilder()
        .setModel(pipeline)
        .setPrompt(prompt)
        .setNegativePrompt(negativePrompt)
        .setSteps(steps)
        .setGuidanceScale(guidance)
        .setSeed(seed)
        .setPriority(priority())
        .setPreviewEvery(previewEvery)
        .setIncludeFrames(framePngs)
        .setIdempotencyKey(idempotencyKey)
        .setWebhookUrl(webhookUrl == null ? "" : webhookUrl)
        .build();
  }
}
