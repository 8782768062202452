package dev.framecast.deploy.keycloak;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromQlTest {
  @Test
  void findsMetricsAndSkipsFunctionsKeywordsLabelsAndStrings() {
    assertThat(
            PromQl.metricNames(
                "histogram_quantile(0.95, sum by (le, tenant) (rate(a_seconds_bucket{tenant=~\"$tenant\","
                    + " job=\"x\"}[$__rate_interval])))"))
        .containsExactly("a_seconds_bucket");
    assertThat(
            PromQl.metricNames(
                "sum(rate(b_total[5m] offset 1h)) by (node) / on (node) group_left(model)"
                    + " c_info > bool 0 unless d == 1e-3"))
        .containsExactly("b_total", "c_info", "d");
    assertThat(
            PromQl.metricNames("label_replace(up{job=\"a\"}, \"dst\", \"$1\", \"src\", \"(.*)\")"))
        .containsExactly("up");
    assertThat(PromQl.metricNames("sum without(instance) (e:recorded:rate5m) or vector(0)"))
        .containsExactly("e:recorded:rate5m");
  }

  @Test
  void readsGrafanaTemplateQueries() {
    assertThat(PromQl.metricNames("label_values(framecast_scheduler_queue_depth, tenant)"))
        .containsExactly("framecast_scheduler_queue_depth");
    assertThat(PromQl.metricNames("label_values(tenant)")).isEmpty();
    assertThat(PromQl.metricNames("query_result(topk(5, f_total))")).containsExactly("f_total");
  }
}
