package dev.framecast.scheduler.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PipelineConfigTest {
  @Test
  void readsPipelinesWithTheirModels() {
    List<PipelineSpec> specs =
        PipelineConfig.parse(
            """
            pipelines:
              reference: { text_encoder: text_encoder, dit: dit, vae: vae, default: true }
              large: { text_encoder: t5, dit: dit_xl, vae: vae_hd, description: "720p" }
            """,
            "test.yaml");
    assertThat(specs).extracting(PipelineSpec::name).containsExactly("reference", "large");
    assertThat(specs.get(0).isDefault()).isTrue();
    assertThat(specs.get(1).dit()).isEqualTo("dit_xl");
    assertThat(specs.get(1).description()).isEqualTo("720p");
  }

  @Test
  void mistakesAreNamed() {
    assertThatThrownBy(() -> PipelineConfig.parse("pipelines: {}", "p.yaml"))
        .hasMessageContaining("non-empty 'pipelines'");
    assertThatThrownBy(() -> PipelineConfig.parse("pipelines: { a: { dit: d, vae: v } }", "p.yaml"))
        .hasMessageContaining("pipeline 'a' needs 'text_encoder'");
    assertThatThrownBy(
            () ->
                PipelineConfig.parse(
                    "pipelines: { a: { text_encoder: t, dit: d, vae: v, vea: x } }", "p.yaml"))
        .hasMessageContaining("unknown key 'vea'");
    assertThatThrownBy(
            () ->
                PipelineConfig.parse(
                    "pipelines: { a: { text_encoder: t, dit: d, vae: v, default: true },"
                        + " b: { text_encoder: t, dit: d, vae: v, default: true } }",
                    "p.yaml"))
        .hasMessageContaining("at most one pipeline may be the default");
  }
}
