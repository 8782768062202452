package dev.framecast.deploy.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The source readers the other checks rely on find what the applications' documentation says they
 * read, so a parser that silently finds nothing cannot make every environment check pass.
 */
class AppsTest {
  @Test
  void gatewaySettingsFromGatewayConfigCoverItsReadmeTable() {
    assertThat(Apps.gatewayConfigKeys())
        .containsAll(Apps.readmeSettings("framecast."))
        .contains(
            "framecast.mode",
            "framecast.distributed.scheduler",
            "framecast.oidc.issuer",
            "framecast.oidc.audience",
            "framecast.oidc.jwks-url",
            "framecast.dev-issuer-dir");
    assertThat(Apps.env(Apps.App.GATEWAY))
        .contains(
            "FRAMECAST_MODE",
            "FRAMECAST_DISTRIBUTED_SCHEDULER",
            "FRAMECAST_OIDC_ISSUER",
            "FRAMECAST_OIDC_AUDIENCE",
            "FRAMECAST_OIDC_JWKS_URL",
            "QUARKUS_HTTP_PORT");
    assertThat(Apps.readmeSettings("framecast.")).hasSizeGreaterThan(5);
  }

  @Test
  void mainOptionsAreFoundInTheParsers() {
    assertThat(Apps.flags(Apps.SCHEDULER_MAIN))
        .contains("--port", "--metrics-port", "--nodes", "--tenants", "--clips", "--clip-retention")
        .doesNotContain("--help");
    assertThat(Apps.flags(Apps.NODE_MAIN))
        .contains("--model-repository", "--port", "--metrics-port", "--fault-fail");
    assertThat(Apps.models()).containsExactlyInAnyOrder("text_encoder", "dit", "vae");
  }

  @Test
  void promqlReaderSeparatesMetricsFromFunctionsKeywordsAndLabels() {
    String expr =
        "sum by (node, model) (rate(a_total{kind=\"step\"}[5m])) / (sum by (node) (b_count) or"
            + " histogram_quantile(0.95, sum by (le) (rate(c_bucket[$__rate_interval])))) * 1e6";
    assertThat(Metrics.metricNames(expr))
        .containsExactlyInAnyOrder("a_total", "b_count", "c_bucket");
    assertThat(Metrics.labelNames(expr)).containsExactlyInAnyOrder("node", "model", "kind", "le");
  }

  @Test
  void composeInterpolationUsesDefaultsAndMarksRequiredVariables() {
    assertThat(Compose.interpolate("${A:-http://x:1}/realms")).isEqualTo("http://x:1/realms");
    assertThat(Compose.interpolate("${B:?set it}")).isEqualTo("<B>");
    assertThat(Compose.interpolate("a${C}b")).isEqualTo("a<C>b");
  }
}
