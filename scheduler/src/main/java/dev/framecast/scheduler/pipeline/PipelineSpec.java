package dev.framecast.scheduler.pipeline;

import java.util.Objects;

/**
 * A pipeline as configured: its public name and the models that make it. Everything else about it
 * comes from the models' configs.
 */
public record PipelineSpec(
    String name,
    String textEncoder,
    String dit,
    String vae,
    String description,
    boolean isDefault) {
  public PipelineSpec {
    Objects.requireNonNull(name, "name");
    if (name.isBlank() || textEncoder.isBlank() || dit.isBlank() || vae.isBlank()) {
      throw new IllegalArgumentException("pipeline name and model names must not be empty");
    }
  }

  /** The reference pipeline over the model repository's three models. */
  public static PipelineSpec reference() {
    return new PipelineSpec(
        "reference",
        "text_encoder",
        "dit",
        "vae",
        "Reference text-to-video pipeline: 16 frames of 64x64 shapes in motion",
        true);
  }
}
