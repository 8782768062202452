package dev.framecast.scheduler.service;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Priority;
import dev.framecast.common.errors.InvalidRequestException;
import dev.framecast.common.errors.InvalidRequestException.FieldViolation;
import dev.framecast.scheduler.pipeline.Pipeline;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Validates a GenerateRequest against its pipeline's limits, field by field, before any work, and
 * fills in the defaults (pipeline, steps, guidance, seed, priority). Every violation is reported at
 * once, as google.rpc.BadRequest field violations.
 */
public final class RequestNormalizer {
  static final int MAX_IDEMPOTENCY_KEY = 128;

  private final Map<String, Pipeline> pipelines;
  private final String defaultPipeline;
  private final LongSupplier seeds;

  /**
   * @param seeds draws a seed for requests without one (non-negative)
   */
  public RequestNormalizer(Map<String, Pipeline> pipelines, LongSupplier seeds) {
    this.pipelines = Map.copyOf(pipelines);
    this.defaultPipeline =
        pipelines.values().stream()
            .filter(p -> p.spec().isDefault())
            .map(Pipeline::name)
            .findFirst()
            .orElse(pipelines.keySet().iterator().next());
    this.seeds = seeds;
  }

  public GenerateRequest normalize(GenerateRequest request) {
    List<FieldViolation> violations = new ArrayList<>();
    String model = request.getModel().isEmpty() ? defaultPipeline : request.getModel();
    Pipeline pipeline = pipelines.get(model);
    if (pipeline == null) {
      violations.add(
          new FieldViolation(
              "model", "unknown pipeline '" + model + "'; available: " + pipelines.keySet()));
      throw new InvalidRequestException(violations);
    }
    checkText(violations, "prompt", request.getPrompt(), pipeline.maxTextLength(), true);
    checkText(
        violations,
        "negative_prompt",
        request.getNegativePrompt(),
        pipeline.maxTextLength(),
        false);
    // steps and preview_every are uint32 on the wire: a client's -1 arrives as 4294967295, which
    // Java reads as a negative int; compare them unsigned.
    long steps =
        request.getSteps() == 0
            ? pipeline.defaultSteps()
            : Integer.toUnsignedLong(request.getSteps());
    if (steps < pipeline.minSteps() || steps > pipeline.maxSteps()) {
      violations.add(
          new FieldViolation(
              "steps",
              "steps must be between "
                  + pipeline.minSteps()
                  + " and "
                  + pipeline.maxSteps()
                  + ", got "
                  + Integer.toUnsignedString(request.getSteps())));
    }
    float guidance =
        request.hasGuidanceScale() ? request.getGuidanceScale() : pipeline.defaultGuidance();
    if (!Float.isFinite(guidance)) {
      violations.add(
          new FieldViolation("guidance_scale", "guidance_scale must be a finite number"));
    } else if (guidance < pipeline.minGuidance() || guidance > pipeline.maxGuidance()) {
      violations.add(
          new FieldViolation(
              "guidance_scale",
              "guidance_scale must be between "
                  + pipeline.minGuidance()
                  + " and "
                  + pipeline.maxGuidance()
                  + ", got "
                  + guidance));
    }
    if (Integer.toUnsignedLong(request.getPreviewEvery()) > steps) {
      violations.add(
          new FieldViolation(
              "preview_every",
              "preview_every must be at most the step count ("
                  + steps
                  + "), got "
                  + Integer.toUnsignedString(request.getPreviewEvery())));
    }
    if (request.getPriority() == Priority.UNRECOGNIZED) {
      violations.add(
          new FieldViolation("priority", "unknown priority value " + request.getPriorityValue()));
    }
    if (request.getIdempotencyKey().length() > MAX_IDEMPOTENCY_KEY) {
      violations.add(
          new FieldViolation(
              "idempotency_key",
              "idempotency_key must be at most " + MAX_IDEMPOTENCY_KEY + " characters"));
    }
    if (!violations.isEmpty()) {
      throw new InvalidRequestException(violations);
    }
    return request.toBuilder()
        .setModel(model)
        .setSteps((int) steps)
        .setGuidanceScale(guidance)
        .setSeed(request.hasSeed() ? request.getSeed() : seeds.getAsLong() & Long.MAX_VALUE)
        .setPriority(
            request.getPriority() == Priority.PRIORITY_BATCH
                ? Priority.PRIORITY_BATCH
                : Priority.PRIORITY_INTERACTIVE)
        .build();
  }

  private static void checkText(
      List<FieldViolation> violations, String field, String text, int maxBytes, boolean required) {
    if (required && text.isBlank()) {
      violations.add(new FieldViolation(field, field + " is required"));
      return;
    }
    int bytes = text.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > maxBytes) {
      violations.add(
          new FieldViolation(
              field, field + " is " + bytes + " bytes of UTF-8; the maximum is " + maxBytes));
    }
  }
}
