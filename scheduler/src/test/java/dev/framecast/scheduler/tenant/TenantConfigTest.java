package dev.framecast.scheduler.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TenantConfigTest {

  private static final String GOOD =
      """
      defaults:
        weight: 1
        max_concurrent_jobs: 4
        max_queued_jobs: 64
        requests_per_minute: 120
        burst: 20
        gpu_seconds_per_day: 0
        max_steps: 0
        allowed_pipelines: []
      tenants:
        acme:   { weight: 2, max_concurrent_jobs: 8 }
        globex: { weight: 1.5, gpu_seconds_per_day: 3600.5, allowed_pipelines: [small] }
        initech:
      """;

  @Test
  void parsesTenantsAndAppliesDefaults() {
    TenantConfig config = TenantConfig.parse(GOOD);

    assertThat(config.tenants()).containsExactly("acme", "globex", "initech");
    assertThat(config.policy("acme"))
        .contains(new TenantPolicy("acme", 2, 8, 64, 120, 20, 0, 0, List.of()));
    assertThat(config.policy("globex"))
        .contains(new TenantPolicy("globex", 1.5, 4, 64, 120, 20, 3600.5, 0, List.of("small")));
    assertThat(config.policy("initech"))
        .contains(new TenantPolicy("initech", 1, 4, 64, 120, 20, 0, 0, List.of()));
    assertThat(config.policy("umbrella")).isEmpty();
  }

  @Test
  void defaultsSectionOverridesBuiltInsAndIsOptional() {
    TenantConfig withDefaults =
        TenantConfig.parse("defaults: { burst: 3, max_steps: 40 }\ntenants: { a: {} }");
    assertThat(withDefaults.policy("a").orElseThrow().burst()).isEqualTo(3);
    assertThat(withDefaults.policy("a").orElseThrow().maxSteps()).isEqualTo(40);
    assertThat(withDefaults.policy("a").orElseThrow().maxQueuedJobs()).isEqualTo(64);

    TenantConfig builtIns = TenantConfig.parse("tenants: { a: { weight: 3 } }");
    assertThat(builtIns.policy("a"))
        .contains(new TenantPolicy("a", 3, 4, 64, 120, 20, 0, 0, List.of()));
  }

  @Test
  void priorityClassesAreTheTenantsToUse() {
    TenantConfig config =
        TenantConfig.parse(
            "tenants: { a: {}, b: { priorities: [batch], default_priority: batch } }");

    assertThat(config.policy("a").orElseThrow().priorities())
        .containsExactlyInAnyOrder(
            dev.framecast.api.v1.Priority.PRIORITY_INTERACTIVE,
            dev.framecast.api.v1.Priority.PRIORITY_BATCH);
    assertThat(config.policy("a").orElseThrow().defaultPriority())
        .isEqualTo(dev.framecast.api.v1.Priority.PRIORITY_INTERACTIVE);
    assertThat(config.policy("b").orElseThrow().priorities())
        .containsExactly(dev.framecast.api.v1.Priority.PRIORITY_BATCH);
    assertThat(config.policy("b").orElseThrow().defaultPriority())
        .isEqualTo(dev.framecast.api.v1.Priority.PRIORITY_BATCH);
  }

  @Test
  void readLimitsDefaultGenerouslyAndAreSetPerTenant() {
    TenantConfig config =
        TenantConfig.parse(
            "defaults: { read_burst: 50 }\n"
                + "tenants: { a: {}, b: { reads_per_minute: 60, read_burst: 5 } }");

    assertThat(config.policy("a").orElseThrow().readsPerMinute())
        .isEqualTo(TenantPolicy.DEFAULT_READS_PER_MINUTE);
    assertThat(config.policy("a").orElseThrow().readBurst()).isEqualTo(50);
    assertThat(config.policy("b").orElseThrow().readsPerMinute()).isEqualTo(60);
    assertThat(config.policy("b").orElseThrow().readBurst()).isEqualTo(5);
  }

  @Test
  void equalityIgnoresCommentsAndFormatting() {
    TenantConfig a = TenantConfig.parse("tenants: { acme: { weight: 2 } }");
    TenantConfig b = TenantConfig.parse("# edited\ntenants:\n  acme:\n    weight: 2.0\n");
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
  }

  @Test
  void bundledDemoTenantsParse() {
    TenantConfig bundled = TenantRegistry.fromClasspath().snapshot();
    assertThat(bundled.tenants()).containsExactly("acme", "globex", "initech");
    assertThat(bundled.policy("acme").orElseThrow().weight()).isEqualTo(2.0);
    assertThat(bundled.policy("globex").orElseThrow().weight()).isEqualTo(1.0);
    assertThat(bundled.policy("initech").orElseThrow().weight()).isEqualTo(1.0);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          unknown tenant field    | tenants: { acme: { wieght: 2 } }               | tenant 'acme': unknown field 'wieght'
          unknown default field   | defaults: { bursts: 2 }\\ntenants: { a: {} }    | defaults: unknown field 'bursts'
          unknown top-level key   | tenant: { acme: {} }                           | unknown top-level key 'tenant'
          missing tenants         | defaults: { weight: 1 }                        | missing 'tenants'
          empty tenants           | tenants: {}                                    | 'tenants' is empty
          empty file              | "# nothing"                                    | the file is empty
          tenants not a mapping   | tenants: [acme, globex]                        | 'tenants' must be a mapping, got a list
          tenant not a mapping    | tenants: { acme: 3 }                           | tenant 'acme' must be a mapping, got a number
          empty tenant name       | tenants: { '': { weight: 1 } }                 | tenant names must not be empty
          numeric tenant name     | tenants: { 123: {} }                           | tenant name 123 must be a string
          bad tenant name         | tenants: { 'a b': {} }                         | tenant name 'a b' must be
          text for an integer     | tenants: { acme: { burst: lots } }             | tenant 'acme': burst must be a whole number, got text 'lots'
          fraction for integer    | tenants: { acme: { max_queued_jobs: 2.5 } }    | tenant 'acme': max_queued_jobs must be a whole number, got a number '2.5'
          boolean for a number    | tenants: { acme: { weight: yes } }             | tenant 'acme': weight must be a number, got a boolean
          null value              | tenants: { acme: { burst: } }                  | tenant 'acme': burst must be a whole number, got nothing
          huge integer            | tenants: { acme: { burst: 99999999999 } }      | tenant 'acme': burst is too large
          negative integer        | tenants: { acme: { max_queued_jobs: -1 } }     | tenant 'acme': max_queued_jobs must not be negative, got -1
          negative number         | tenants: { acme: { gpu_seconds_per_day: -5 } } | tenant 'acme': gpu_seconds_per_day must not be negative, got -5
          negative default        | defaults: { burst: -2 }\\ntenants: { a: {} }    | defaults: burst must not be negative, got -2
          zero weight             | tenants: { acme: { weight: 0 } }               | tenant 'acme': weight must be a finite number > 0
          zero queue              | tenants: { acme: { max_queued_jobs: 0 } }      | tenant 'acme': max_queued_jobs must be between 1 and 1000000, got 0
          zero rate               | tenants: { acme: { requests_per_minute: 0 } }  | tenant 'acme': requests_per_minute must be between 1
          pipelines not a list    | tenants: { acme: { allowed_pipelines: big } }  | tenant 'acme': allowed_pipelines must be a list of pipeline names
          empty pipeline name     | tenants: { acme: { allowed_pipelines: [''] } } | tenant 'acme': allowed_pipelines must be a list of non-empty pipeline names
          zero open streams       | tenants: { acme: { max_open_streams: 0 } }     | tenant 'acme': max_open_streams must be between 1
          zero read rate          | tenants: { acme: { reads_per_minute: 0 } }     | tenant 'acme': reads_per_minute must be between 1
          zero read burst         | tenants: { acme: { read_burst: 0 } }           | tenant 'acme': read_burst must be between 1
          unknown priority        | tenants: { acme: { priorities: [urgent] } }    | tenant 'acme': priorities must be interactive or batch, got text 'urgent'
          no priorities           | tenants: { acme: { priorities: [] } }          | tenant 'acme': priorities must name at least one of interactive, batch
          default not allowed     | tenants: { acme: { priorities: [batch] } }     | tenant 'acme': default_priority must be one of its priorities [batch], got interactive
          duplicate tenant        | tenants: { acme: {}, acme: {} }                | duplicate key acme
          java type tag           | tenants: !!java.util.HashMap { acme: {} }      | not valid YAML
          not yaml                | "tenants: { acme: [ }"                         | not valid YAML
          """)
  void rejectsWithMessageNamingTenantAndField(String name, String yaml, String message) {
    String text = yaml.replace("\\n", "\n");
    assertThatThrownBy(() -> TenantConfig.parse(text, "tenants.yaml"))
        .isInstanceOf(TenantConfigException.class)
        .hasMessageStartingWith("tenants.yaml: ")
        .hasMessageContaining(message);
  }

  @Test
  void policyValidatesWhenBuiltInCode() {
    assertThatThrownBy(() -> new TenantPolicy("acme", 1, 4, 64, 120, 0, 0, 0, List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tenant 'acme': burst must be between 1 and 1000000, got 0");
    assertThatThrownBy(() -> new TenantPolicy("acme", Double.NaN, 4, 64, 120, 1, 0, 0, List.of()))
        .hasMessageContaining("weight");
    assertThatThrownBy(() -> new TenantPolicy("", 1, 4, 64, 120, 1, 0, 0, List.of()))
        .hasMessageContaining("tenant name must not be empty");
  }

  @Test
  void policyAllowList() {
    TenantPolicy all = new TenantPolicy("a", 1, 1, 1, 1, 1, 0, 0, List.of());
    TenantPolicy some = new TenantPolicy("a", 1, 1, 1, 1, 1, 0, 0, List.of("small"));
    assertThat(all.allowsPipeline("big")).isTrue();
    assertThat(some.allowsPipeline("small")).isTrue();
    assertThat(some.allowsPipeline("big")).isFalse();
  }

  static final String SECRET = "whsec_AQgPFh0kKzI5QEdOVVxjanF4f4aNlJuiqbC3vsXM09o=";

  @Test
  void webhooksArePerTenantAndTheSecretIsNeverPrinted() {
    TenantConfig config =
        TenantConfig.parse(
            "tenants:\n"
                + "  acme: { webhook_url: 'https://hooks.acme.example/fc', webhook_secret: '"
                + SECRET
                + "' }\n"
                + "  globex: { webhook_secret: '"
                + SECRET
                + "' }\n"
                + "  initech: {}\n");
    TenantPolicy acme = config.policy("acme").orElseThrow();
    assertThat(acme.webhookUrl()).isEqualTo("https://hooks.acme.example/fc");
    assertThat(acme.hasWebhookSecret()).isTrue();
    assertThat(config.policy("globex").orElseThrow().webhookUrl()).isEmpty();
    assertThat(config.policy("initech").orElseThrow().hasWebhookSecret()).isFalse();
    assertThat(config.toString()).doesNotContain(SECRET).contains("webhookSecret=(set)");
    assertThat(acme.changesTo(config.policy("initech").orElseThrow()))
        .contains("webhook_secret changed")
        .doesNotContain(SECRET);
  }

  @Test
  void badWebhookSettingsAreRefused() {
    java.util.Map<String, String> cases =
        java.util.Map.of(
            "defaults: { webhook_secret: 'x' }\ntenants: { a: {} }",
            "per tenant",
            "tenants: { a: { webhook_secret: 'abc' } }",
            "whsec_",
            "tenants: { a: { webhook_url: 'https://h.example/' } }",
            "needs a webhook_secret",
            "tenants: { a: { webhook_url: 'ftp://h.example/', webhook_secret: '" + SECRET + "' } }",
            "http or https",
            "tenants: { a: { webhook_url: 3 } }",
            "a string");
    cases.forEach(
        (yaml, message) ->
            assertThatThrownBy(() -> TenantConfig.parse(yaml))
                .as(yaml)
                .isInstanceOf(TenantConfigException.class)
                .hasMessageContaining(message)
                .hasMessageNotContaining(SECRET));
  }
}
