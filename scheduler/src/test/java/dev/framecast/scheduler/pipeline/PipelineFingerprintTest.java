package dev.framecast.scheduler.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A pipeline's step fingerprint, which a latent checkpoint carries: it changes with whatever a
 * denoising step's result depends on, and only with that.
 */
class PipelineFingerprintTest {
  private static final Pipeline BASE =
      with(
          new Pipeline.Schedule(Pipeline.LINEAR, 3f),
          new Pipeline.Sampler(Pipeline.RENOISE, 1f),
          new Pipeline.Latents(4, 16, 16, 16),
          PipelineSpec.reference());

  private static Pipeline with(
      Pipeline.Schedule schedule,
      Pipeline.Sampler sampler,
      Pipeline.Latents latents,
      PipelineSpec spec) {
    return new Pipeline(
        spec,
        new Pipeline.Text(Pipeline.UTF8_BYTES, 64, 128),
        latents,
        new Pipeline.Steps(24, 1, 100),
        new Pipeline.Guidance(2f, 0f, 20f),
        schedule,
        Pipeline.PHILOX_NORMAL,
        sampler,
        new Pipeline.Video(64, 64, 8f),
        8);
  }

  @Test
  void theSameConfigurationGivesTheSameFingerprint() {
    Pipeline again =
        with(
            new Pipeline.Schedule(Pipeline.LINEAR, 3f),
            new Pipeline.Sampler(Pipeline.RENOISE, 1f),
            new Pipeline.Latents(4, 16, 16, 16),
            PipelineSpec.reference());
    assertThat(again.stepFingerprint()).isEqualTo(BASE.stepFingerprint());
  }

  @Test
  void whatAStepDependsOnChangesIt() {
    Pipeline.Latents l = BASE.latents();
    PipelineSpec ref = PipelineSpec.reference();
    List<Pipeline> changed =
        List.of(
            with(new Pipeline.Schedule(Pipeline.LINEAR, 2f), BASE.sampler(), l, ref),
            with(Pipeline.Schedule.LINEAR_UNSHIFTED, BASE.sampler(), l, ref),
            with(BASE.schedule(), new Pipeline.Sampler(Pipeline.RENOISE, 0.5f), l, ref),
            with(BASE.schedule(), Pipeline.Sampler.EULER_STEP, l, ref),
            with(
                BASE.schedule(),
                BASE.sampler(),
                new Pipeline.Latents(l.channels(), l.frames() * 2, l.height(), l.width()),
                ref),
            with(
                BASE.schedule(),
                BASE.sampler(),
                l,
                new PipelineSpec(
                    ref.name(), ref.textEncoder(), "dit_v2", ref.vae(), ref.description(), true)),
            with(
                BASE.schedule(),
                BASE.sampler(),
                l,
                new PipelineSpec(ref.name(), "t5", ref.dit(), ref.vae(), ref.description(), true)),
            new Pipeline(
                ref,
                new Pipeline.Text(Pipeline.UTF8_BYTES, 77, 128),
                l,
                BASE.steps(),
                BASE.guidance(),
                BASE.schedule(),
                BASE.noise(),
                BASE.sampler(),
                BASE.video(),
                BASE.maxBatchSize()));
    assertThat(changed)
        .extracting(Pipeline::stepFingerprint)
        .doesNotContain(BASE.stepFingerprint())
        .doesNotHaveDuplicates();
  }

  @Test
  void aDescriptionOrTheDefaultsDoNot() {
    PipelineSpec ref = PipelineSpec.reference();
    Pipeline described =
        with(
            BASE.schedule(),
            BASE.sampler(),
            BASE.latents(),
            new PipelineSpec(
                ref.name(), ref.textEncoder(), ref.dit(), ref.vae(), "another description", false));
    assertThat(described.stepFingerprint()).isEqualTo(BASE.stepFingerprint());
    Pipeline otherDefaults =
        new Pipeline(
            BASE.spec(),
            BASE.text(),
            BASE.latents(),
            new Pipeline.Steps(4, 1, 64),
            new Pipeline.Guidance(5f, 0f, 20f),
            BASE.schedule(),
            BASE.noise(),
            BASE.sampler(),
            new Pipeline.Video(BASE.frameHeight(), BASE.frameWidth(), 24f),
            BASE.maxBatchSize());
    assertThat(otherDefaults.stepFingerprint())
        .as("a job's spec carries its own steps and guidance")
        .isEqualTo(BASE.stepFingerprint());
  }
}
