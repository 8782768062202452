package dev.framecast.scheduler.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebhookAddressesTest {
  private final WebhookAddresses defaults = new WebhookAddresses(List.of(), List.of());

  private static InetAddress ip(String literal) throws Exception {
    return InetAddress.getByName(literal);
  }

  @Test
  void refusesTheNetworkInsideByDefault() throws Exception {
    for (String inside :
        List.of(
            "127.0.0.1",
            "10.1.2.3",
            "172.20.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1")) {
      assertThat(defaults.refusal(ip(inside))).as(inside).isNotNull();
    }
    assertThat(defaults.refusal(ip("93.184.216.34"))).isNull();
    assertThat(defaults.refusal(ip("2606:2800:220:1:248:1893:25c8:1946"))).isNull();
  }

  @Test
  void theAllowListOpensRangesAndTheDenyListClosesMore() throws Exception {
    WebhookAddresses configured =
        new WebhookAddresses(List.of("127.0.0.0/8", "10.20.0.0/16"), List.of("93.184.0.0/16"));
    assertThat(configured.refusal(ip("127.0.0.1"))).isNull();
    assertThat(configured.refusal(ip("10.20.5.5"))).isNull();
    assertThat(configured.refusal(ip("10.21.5.5"))).contains("private");
    assertThat(configured.refusal(ip("93.184.216.34"))).contains("93.184.0.0/16");
  }

  @Test
  void checksResolveTheHostAndSayWhy() {
    assertThatThrownBy(() -> defaults.check("http://127.0.0.1:9/hook"))
        .isInstanceOf(WebhookAddresses.Refused.class)
        .hasMessageContaining("loopback");
    assertThatThrownBy(() -> defaults.check("http://169.254.169.254/latest/meta-data"))
        .hasMessageContaining("link-local");
    assertThatThrownBy(() -> defaults.check("http://[::1]:8080/")).hasMessageContaining("loopback");
    assertThatThrownBy(() -> defaults.check("http://localhost/")).hasMessageContaining("loopback");
  }

  @Test
  void urlsMustBeHttpWithAHost() {
    assertThat(WebhookAddresses.syntaxProblem("https://hooks.example.com/x?y=1")).isNull();
    assertThat(WebhookAddresses.syntaxProblem("ftp://hooks.example.com/")).contains("http");
    assertThat(WebhookAddresses.syntaxProblem("https:///nohost")).contains("host");
    assertThat(WebhookAddresses.syntaxProblem("https://user:pw@hooks.example.com/"))
        .contains("user");
    assertThat(WebhookAddresses.syntaxProblem("not a url")).isNotNull();
    assertThat(WebhookAddresses.syntaxProblem("https://h.example/" + "a".repeat(2100)))
        .contains("2048");
  }

  @Test
  void rangesAreLiterals() {
    assertThatThrownBy(() -> new WebhookAddresses(List.of("example.com/8"), List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new WebhookAddresses(List.of("10.0.0.0/33"), List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
