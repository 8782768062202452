package dev.framecast.scheduler.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SignerTest {
  /** The same secret, id, time and body signed by the standardwebhooks npm package (1.3.0). */
  @Test
  void signsAsTheStandardWebhooksLibraryDoes() {
    Signer signer = new Signer("whsec_AQgPFh0kKzI5QEdOVVxjanF4f4aNlJuiqbC3vsXM09o=");
    assertThat(
            signer.sign(
                "evt_0123456789abcdef01234567",
                1_700_000_000L,
                "{\"id\":\"evt\",\"type\":\"video.completed\"}"))
        .isEqualTo("v1,kwQwi/mYuX+nKjBwf6BH/QrSzwgXNjH6+TO4OtnjU14=");
  }

  @Test
  void refusesSecretsOfTheWrongForm() {
    assertThat(Signer.secretProblem("AQgPFh0kKzI5QEdOVVxjanF4f4aNlJuiqbC3vsXM09o="))
        .contains("whsec_");
    assertThat(Signer.secretProblem("whsec_!!!")).contains("base64");
    assertThat(Signer.secretProblem("whsec_AQID")).contains("3");
    assertThat(Signer.secretProblem("whsec_AQgPFh0kKzI5QEdOVVxjanF4f4aNlJuiqbC3vsXM09o=")).isNull();
    assertThatThrownBy(() -> new Signer("whsec_AQID"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("AQID");
  }
}
