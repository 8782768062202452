package dev.framecast.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** REST + server-sent events: the same auth, errors and events as gRPC, as JSON. */
@QuarkusTest
class RestApiTest {
  private static String bearer(String tenant) {
    return "Bearer " + Tokens.user(tenant);
  }

  /** Parses an SSE body into (id, event, data) triples. */
  static List<String[]> sse(String body) {
    List<String[]> events = new ArrayList<>();
    for (String block : body.split("\n\n")) {
      String id = null;
      String name = null;
      String data = null;
      for (String line : block.split("\n")) {
        if (line.startsWith("id:")) {
          id = line.substring(3).trim();
        } else if (line.startsWith("event:")) {
          name = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          data = line.substring(5).trim();
        }
      }
      if (id != null) {
        events.add(new String[] {id, name, data});
      }
    }
    return events;
  }

  @Test
  void submitFollowDownloadAndResume() {
    Response created =
        given()
            .header("Authorization", bearer("acme"))
            .contentType("application/json")
            .body("{\"prompt\":\"a red circle moving right\",\"steps\":3,\"previewEvery\":1}")
            .post("/v1/jobs");
    created.then().statusCode(200).body("state", equalTo("QUEUED")).body("totalSteps", equalTo(3));
    String id = created.path("id");
    assertThat(created.header("Location")).endsWith("/v1/jobs/" + id);

    String body =
        given()
            .header("Authorization", bearer("acme"))
            .get("/v1/jobs/" + id + "/events")
            .then()
            .statusCode(200)
            .contentType(org.hamcrest.Matchers.startsWith("text/event-stream"))
            .extract()
            .asString();
    List<String[]> events = sse(body);
    assertThat(events.get(0)[1]).isEqualTo("queued");
    assertThat(events).extracting(e -> e[1]).contains("started", "progress", "clipChunk");
    assertThat(events.get(events.size() - 1)[1]).isEqualTo("completed");
    for (int i = 0; i < events.size(); i++) {
      assertThat(events.get(i)[0]).isEqualTo(Integer.toString(i + 1));
    }
    assertThat(events.get(2)[2]).contains("\"progress\":{\"step\":");

    // Resume after the third event, without the clip's chunks.
    List<String[]> tail =
        sse(
            given()
                .header("Authorization", bearer("acme"))
                .header("Last-Event-ID", "3")
                .queryParam("clip", "false")
                .get("/v1/jobs/" + id + "/events")
                .asString());
    assertThat(tail.get(0)[0]).isEqualTo("4");
    assertThat(tail).extracting(e -> e[1]).doesNotContain("clipChunk").contains("completed");

    byte[] mp4 =
        given()
            .header("Authorization", bearer("acme"))
            .get("/v1/jobs/" + id + "/clip.mp4")
            .then()
            .statusCode(200)
            .contentType("video/mp4")
            .extract()
            .asByteArray();
    assertThat(new String(mp4, 4, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("ftyp");

    given()
        .header("Authorization", bearer("acme"))
        .get("/v1/jobs/" + id)
        .then()
        .statusCode(200)
        .body("state", equalTo("SUCCEEDED"))
        .body("clip.sizeBytes", equalTo(Integer.toString(mp4.length)));
    given()
        .header("Authorization", bearer("acme"))
        .queryParam("state", "SUCCEEDED")
        .get("/v1/jobs")
        .then()
        .statusCode(200)
        .body("jobs.id", hasItem(id));
  }

  @Test
  void errorsCarryTheGrpcStatusAndItsDetails() {
    given().get("/v1/models").then().statusCode(401).header("WWW-Authenticate", "Bearer");
    given().header("Authorization", "Bearer not-a-token").get("/v1/models").then().statusCode(401);
    given()
        .header("Authorization", bearer("umbrella"))
        .get("/v1/models")
        .then()
        .statusCode(403)
        .body("error.status", equalTo("PERMISSION_DENIED"));
    given()
        .header("Authorization", bearer("acme"))
        .contentType("application/json")
        .body("{\"prompt\":\"\",\"steps\":400}")
        .post("/v1/jobs")
        .then()
        .statusCode(400)
        .body("error.status", equalTo("INVALID_ARGUMENT"))
        .body(
            "error.details.find { it['@type'].endsWith('BadRequest') }.fieldViolations.field",
            org.hamcrest.Matchers.containsInAnyOrder("prompt", "steps"));
    given()
        .header("Authorization", bearer("acme"))
        .contentType("application/json")
        .body("{\"prompt\": 42, \"nope\": true")
        .post("/v1/jobs")
        .then()
        .statusCode(400)
        .body("error.details[1].fieldViolations[0].field", equalTo("body"));

    String id =
        given()
            .header("Authorization", bearer("acme"))
            .contentType("application/json")
            .body("{\"prompt\":\"a cyan ring moving left\",\"steps\":100}")
            .post("/v1/jobs")
            .path("id");
    // Another tenant: not found, for every verb.
    given().header("Authorization", bearer("globex")).get("/v1/jobs/" + id).then().statusCode(404);
    given()
        .header("Authorization", bearer("globex"))
        .get("/v1/jobs/" + id + "/events")
        .then()
        .statusCode(404);
    given()
        .header("Authorization", bearer("globex"))
        .delete("/v1/jobs/" + id)
        .then()
        .statusCode(404);
    // No clip before the job succeeds.
    given()
        .header("Authorization", bearer("acme"))
        .get("/v1/jobs/" + id + "/clip.mp4")
        .then()
        .statusCode(409)
        .body("error.status", equalTo("FAILED_PRECONDITION"));
    given()
        .header("Authorization", bearer("acme"))
        .delete("/v1/jobs/" + id)
        .then()
        .statusCode(200)
        .body("id", equalTo(id));
  }

  @Test
  void idempotencyKeyHeaderReturnsTheSameJob() {
    String body = "{\"prompt\":\"a green square moving down\",\"steps\":2}";
    String first =
        given()
            .header("Authorization", bearer("acme"))
            .header("Idempotency-Key", "rest-key-1")
            .contentType("application/json")
            .body(body)
            .post("/v1/jobs")
            .path("id");
    String second =
        given()
            .header("Authorization", bearer("acme"))
            .header("Idempotency-Key", "rest-key-1")
            .contentType("application/json")
            .body(body)
            .post("/v1/jobs")
            .path("id");
    assertThat(second).isEqualTo(first);
  }

  @Test
  void devTokensAreMintedForLocalCallersInEmbeddedMode() {
    String token =
        given()
            .contentType("application/json")
            .body("{\"tenant\":\"globex\"}")
            .post("/v1/dev/token")
            .then()
            .statusCode(200)
            .body("tokenType", equalTo("Bearer"))
            .extract()
            .path("accessToken");
    given()
        .header("Authorization", "Bearer " + token)
        .get("/v1/usage")
        .then()
        .statusCode(200)
        .body("tenant", equalTo("globex"));
    given()
        .contentType("application/json")
        .body("{\"tenant\":\"\"}")
        .post("/v1/dev/token")
        .then()
        .statusCode(400);
    // The admin role only when the gateway was started to allow it (off here, as by default).
    given()
        .contentType("application/json")
        .body("{\"tenant\":\"globex\",\"admin\":true}")
        .post("/v1/dev/token")
        .then()
        .statusCode(403)
        .body("error.status", equalTo("PERMISSION_DENIED"))
        .body("error.message", org.hamcrest.Matchers.containsString("dev-admin-tokens"));
  }

  @Test
  void theAuthConfigTellsThePageToUseDevTokensInEmbeddedMode() {
    given()
        .get("/v1/auth/config")
        .then()
        .statusCode(200)
        .body("mode", equalTo("embedded"))
        .body("issuer", nullValue())
        .body("clientId", equalTo("framecast-web"))
        .body("devTokens", equalTo(true));
  }

  @TestHTTPResource(value = "/", management = true)
  URL management;

  @Test
  void healthAndMetricsAreServedOnTheManagementPortOnly() {
    String managementUri = "http://127.0.0.1:" + management.getPort();
    assertThat(management.getPort()).isNotEqualTo(RestAssured.port);
    given().baseUri(managementUri).get("/q/health/ready").then().statusCode(200);
    given().header("Authorization", bearer("acme")).get("/v1/models").then().statusCode(200);
    String metrics =
        given()
            .baseUri(managementUri)
            .get("/q/metrics")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    // Not on the public port: tenant names and request rates are not every caller's business.
    given().get("/q/metrics").then().statusCode(404);
    given().get("/q/health/ready").then().statusCode(404);
    assertThat(metrics)
        .contains(
            "framecast_gateway_requests_total{code=\"OK\",method=\"ListModels\",tenant=\"acme\"}")
        .contains("framecast_gateway_event_lag_seconds_bucket")
        .contains("framecast_gateway_open_streams");
  }
}
