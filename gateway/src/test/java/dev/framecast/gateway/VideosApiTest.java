package dev.framecast.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code /v1/videos}: OpenAI's Videos API over the embedded platform (the reference model on the
 * CPU), with OpenAI's shapes for videos, lists and errors.
 */
@QuarkusTest
class VideosApiTest {
  private static String bearer(String tenant) {
    return "Bearer " + Tokens.user(tenant);
  }

  /** Creates a video as the OpenAI SDKs do (multipart form). */
  private static Response create(String tenant, String prompt, String... extra) {
    var request = given().header("Authorization", bearer(tenant)).multiPart("prompt", prompt);
    for (int i = 0; i < extra.length; i += 2) {
      request = request.multiPart(extra[i], extra[i + 1]);
    }
    return request.post("/v1/videos");
  }

  private static JsonPath awaitEnded(String tenant, String id) throws InterruptedException {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
    while (Instant.now().isBefore(deadline)) {
      JsonPath video =
          given()
              .header("Authorization", bearer(tenant))
              .get("/v1/videos/" + id)
              .then()
              .statusCode(200)
              .extract()
              .jsonPath();
      String status = video.getString("status");
      if (status.equals("completed") || status.equals("failed")) {
        return video;
      }
      assertThat(status).isIn("queued", "in_progress");
      Thread.sleep(200);
    }
    throw new AssertionError("video " + id + " did not end within 120 s");
  }

  @Test
  void createRetrieveDownloadListAndDelete() throws Exception {
    Response created =
        create(
            "acme",
            "a red circle moving right",
            "seconds",
            "2",
            "size",
            "64x64",
            "steps",
            "2",
            "seed",
            "7");
    created
        .then()
        .statusCode(200)
        .body("object", equalTo("video"))
        .body("status", org.hamcrest.Matchers.oneOf("queued", "in_progress"))
        .body("size", equalTo("64x64"))
        .body("seconds", equalTo("2"))
        .body("completed_at", nullValue())
        .body("error", nullValue())
        .body("seed", equalTo("7"))
        .body("steps", equalTo(2));
    String id = created.path("id");

    JsonPath done = awaitEnded("acme", id);
    assertThat(done.getString("status")).isEqualTo("completed");
    assertThat(done.getInt("progress")).isEqualTo(100);
    long completedAt = done.getLong("completed_at");
    assertThat(completedAt).isGreaterThanOrEqualTo(done.getLong("created_at"));
    // The embedded clip store keeps clips 24 hours.
    assertThat(done.getLong("expires_at")).isEqualTo(completedAt + 24 * 3600);

    // The MP4, whole: its size, a strong tag, and ranges offered.
    Response video =
        given().header("Authorization", bearer("acme")).get("/v1/videos/" + id + "/content");
    video.then().statusCode(200).contentType("video/mp4").header("Accept-Ranges", "bytes");
    byte[] mp4 = video.asByteArray();
    assertThat(new String(mp4, 4, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("ftyp");
    assertThat(video.header("Content-Length")).isEqualTo(Integer.toString(mp4.length));
    // The project's decoder (FFmpeg) reads 16 H.264 frames of the video's size.
    var decoded = dev.framecast.media.Mp4Decoder.decode(mp4);
    assertThat(decoded.codec()).isEqualTo("h264");
    assertThat(decoded.frames()).hasSize(16);
    assertThat(decoded.width() + "x" + decoded.height()).isEqualTo(done.getString("size"));
    String etag = video.header("ETag");
    assertThat(etag).startsWith("\"").endsWith("\"");

    // One range, then the tail, then a suffix; past the end is 416.
    Response head =
        given()
            .header("Authorization", bearer("acme"))
            .header("Range", "bytes=0-7")
            .get("/v1/videos/" + id + "/content?variant=video");
    head.then()
        .statusCode(206)
        .header("Content-Range", "bytes 0-7/" + mp4.length)
        .header("Content-Length", "8");
    assertThat(head.asByteArray()).isEqualTo(java.util.Arrays.copyOf(mp4, 8));
    byte[] tail =
        given()
            .header("Authorization", bearer("acme"))
            .header("Range", "bytes=100-")
            .get("/v1/videos/" + id + "/content")
            .then()
            .statusCode(206)
            .extract()
            .asByteArray();
    assertThat(tail).isEqualTo(java.util.Arrays.copyOfRange(mp4, 100, mp4.length));
    byte[] suffix =
        given()
            .header("Authorization", bearer("acme"))
            .header("Range", "bytes=-10")
            .get("/v1/videos/" + id + "/content")
            .then()
            .statusCode(206)
            .header(
                "Content-Range",
                "bytes " + (mp4.length - 10) + "-" + (mp4.length - 1) + "/" + mp4.length)
            .extract()
            .asByteArray();
    assertThat(suffix).isEqualTo(java.util.Arrays.copyOfRange(mp4, mp4.length - 10, mp4.length));
    given()
        .header("Authorization", bearer("acme"))
        .header("Range", "bytes=" + mp4.length + "-")
        .get("/v1/videos/" + id + "/content")
        .then()
        .statusCode(416)
        .body("error.code", equalTo("range_not_satisfiable"));
    // A stale If-Range gets the whole clip; a matching If-None-Match gets 304.
    given()
        .header("Authorization", bearer("acme"))
        .header("Range", "bytes=0-7")
        .header("If-Range", "\"stale\"")
        .get("/v1/videos/" + id + "/content")
        .then()
        .statusCode(200)
        .header("Content-Length", Integer.toString(mp4.length));
    given()
        .header("Authorization", bearer("acme"))
        .header("If-None-Match", etag)
        .get("/v1/videos/" + id + "/content")
        .then()
        .statusCode(304)
        .header("ETag", etag);

    // The thumbnail (one 64x64 frame) and the sprite sheet (16 frames on 8 columns) are PNGs.
    for (String variant : List.of("thumbnail", "spritesheet")) {
      Response image =
          given()
              .header("Authorization", bearer("acme"))
              .get("/v1/videos/" + id + "/content?variant=" + variant);
      image.then().statusCode(200).contentType("image/png");
      var png = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(image.asByteArray()));
      if (variant.equals("thumbnail")) {
        assertThat(png.getWidth()).isEqualTo(64);
        assertThat(png.getHeight()).isEqualTo(64);
      } else {
        assertThat(png.getWidth()).isGreaterThan(8 * 64);
        assertThat(png.getHeight()).isGreaterThan(2 * 64);
      }
    }
    given()
        .header("Authorization", bearer("acme"))
        .get("/v1/videos/" + id + "/content?variant=poster")
        .then()
        .statusCode(400)
        .body("error.param", equalTo("variant"));

    // Another tenant sees no such video, worded as an unknown one.
    for (String path : List.of("", "/content")) {
      given()
          .header("Authorization", bearer("globex"))
          .get("/v1/videos/" + id + path)
          .then()
          .statusCode(404)
          .body("error.type", equalTo("invalid_request_error"))
          .body("error.code", equalTo("not_found"));
    }
    given()
        .header("Authorization", bearer("globex"))
        .delete("/v1/videos/" + id)
        .then()
        .statusCode(404);

    // Delete: gone from retrieve, content and the list.
    given()
        .header("Authorization", bearer("acme"))
        .delete("/v1/videos/" + id)
        .then()
        .statusCode(200)
        .body("id", equalTo(id))
        .body("object", equalTo("video.deleted"))
        .body("deleted", equalTo(true));
    given()
        .header("Authorization", bearer("acme"))
        .get("/v1/videos/" + id)
        .then()
        .statusCode(404)
        .body("error.code", equalTo("not_found"));
    given()
        .header("Authorization", bearer("acme"))
        .get("/v1/videos/" + id + "/content")
        .then()
        .statusCode(404);
    List<String> ids =
        given()
            .header("Authorization", bearer("acme"))
            .get("/v1/videos?limit=100")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getList("data.id");
    assertThat(ids).doesNotContain(id);
  }

  @Test
  void listPagesWithOpenAiCursors() throws Exception {
    // initech's own videos, created in order (JSON bodies work too).
    String[] ids = new String[3];
    for (int i = 0; i < ids.length; i++) {
      ids[i] =
          given()
              .header("Authorization", bearer("initech"))
              .contentType("application/json")
              .body("{\"prompt\":\"a blue square moving left\",\"steps\":1,\"seed\":" + i + "}")
              .post("/v1/videos")
              .then()
              .statusCode(200)
              .extract()
              .path("id");
      Thread.sleep(5);
    }
    JsonPath first =
        given()
            .header("Authorization", bearer("initech"))
            .get("/v1/videos?limit=2")
            .then()
            .statusCode(200)
            .body("object", equalTo("list"))
            .extract()
            .jsonPath();
    assertThat(first.getList("data.id")).containsExactly(ids[2], ids[1]);
    assertThat(first.getString("first_id")).isEqualTo(ids[2]);
    assertThat(first.getString("last_id")).isEqualTo(ids[1]);
    assertThat(first.getBoolean("has_more")).isTrue();
    JsonPath second =
        given()
            .header("Authorization", bearer("initech"))
            .get("/v1/videos?limit=2&after=" + ids[1])
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    // Older videos of the tenant (other tests') follow.
    assertThat(second.getList("data.id")).startsWith(ids[0]);
    JsonPath ascending =
        given()
            .header("Authorization", bearer("initech"))
            .get("/v1/videos?order=asc&limit=2&after=" + ids[0])
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(ascending.getList("data.id")).containsExactly(ids[1], ids[2]);
    given()
        .header("Authorization", bearer("initech"))
        .get("/v1/videos?order=sideways")
        .then()
        .statusCode(400)
        .body("error.param", equalTo("order"));
    given()
        .header("Authorization", bearer("initech"))
        .get("/v1/videos?limit=101")
        .then()
        .statusCode(400)
        .body("error.param", equalTo("limit"));
    given()
        .header("Authorization", bearer("globex"))
        .get("/v1/videos?after=" + ids[0])
        .then()
        .statusCode(400)
        .body("error.param", equalTo("after"));
    for (String id : ids) {
      awaitEnded("initech", id);
    }
  }

  @Test
  void deletingARunningVideoCancelsItFirst() {
    String id = create("acme", "a green circle moving up", "steps", "50").path("id");
    given()
        .header("Authorization", bearer("acme"))
        .delete("/v1/videos/" + id)
        .then()
        .statusCode(200)
        .body("deleted", equalTo(true));
    given().header("Authorization", bearer("acme")).get("/v1/videos/" + id).then().statusCode(404);
  }

  /** One keyed create, the same request each time; the video's id. */
  private static String createKeyed(String key) {
    return given()
        .header("Authorization", bearer("acme"))
        .header("Idempotency-Key", key)
        .multiPart("prompt", "a red circle moving left")
        .multiPart("steps", "40")
        .post("/v1/videos")
        .then()
        .statusCode(200)
        .extract()
        .path("id");
  }

  @Test
  void aDeletedVideosIdempotencyKeyMakesANewVideo() {
    String key = "videos-key-" + System.nanoTime();
    String first = createKeyed(key);
    String repeat = createKeyed(key);
    assertThat(repeat).isEqualTo(first);
    given()
        .header("Authorization", bearer("acme"))
        .delete("/v1/videos/" + first)
        .then()
        .statusCode(200);
    String again = createKeyed(key);
    assertThat(again).isNotEqualTo(first);
    given()
        .header("Authorization", bearer("acme"))
        .delete("/v1/videos/" + again)
        .then()
        .statusCode(200);
  }

  @Test
  void errorsComeInOpenAiShape() {
    // A bad API key.
    given()
        .header("Authorization", "Bearer not-a-token")
        .multiPart("prompt", "a red circle")
        .post("/v1/videos")
        .then()
        .statusCode(401)
        .header("WWW-Authenticate", "Bearer")
        .body("error.type", equalTo("invalid_request_error"))
        .body("error.code", equalTo("invalid_api_key"))
        .body("error.param", nullValue())
        .body("error.message", org.hamcrest.Matchers.not(org.hamcrest.Matchers.emptyString()));
    given().get("/v1/videos").then().statusCode(401).body("error.code", equalTo("invalid_api_key"));

    // An oversized prompt names the parameter (the pipeline's limit is 64 bytes).
    create("acme", "a red circle moving right ".repeat(20))
        .then()
        .statusCode(400)
        .body("error.type", equalTo("invalid_request_error"))
        .body("error.param", equalTo("prompt"));
    // So does one over the gateway's own cap.
    create("acme", "x".repeat(5000)).then().statusCode(400).body("error.param", equalTo("prompt"));

    // A size or length the model cannot make: 400 naming the parameter and what it can make.
    create("acme", "a red circle", "size", "1280x720")
        .then()
        .statusCode(400)
        .body("error.param", equalTo("size"))
        .body("error.message", containsString("64x64"));
    create("acme", "a red circle", "seconds", "8")
        .then()
        .statusCode(400)
        .body("error.param", equalTo("seconds"))
        .body("error.message", containsString("'2'"));
    create("acme", "a red circle", "model", "sora-2")
        .then()
        .statusCode(400)
        .body("error.param", equalTo("model"));
    create("acme", "a red circle", "steps", "400")
        .then()
        .statusCode(400)
        .body("error.param", equalTo("steps"));
    create("acme", "a red circle", "colour", "red")
        .then()
        .statusCode(400)
        .body("error.param", equalTo("colour"))
        .body("error.code", equalTo("unknown_parameter"));
    given()
        .header("Authorization", bearer("acme"))
        .multiPart("prompt", "a red circle")
        .multiPart("input_reference", "ref.png", new byte[] {1, 2, 3}, "image/png")
        .post("/v1/videos")
        .then()
        .statusCode(400)
        .body("error.param", equalTo("input_reference"));
    given()
        .header("Authorization", bearer("acme"))
        .multiPart("seconds", "2")
        .post("/v1/videos")
        .then()
        .statusCode(400)
        .body("error.param", equalTo("prompt"))
        .body("error.code", equalTo("missing_required_parameter"));
    given()
        .header("Authorization", bearer("acme"))
        .contentType("application/json")
        .body("[1,2]")
        .post("/v1/videos")
        .then()
        .statusCode(400)
        .body("error.code", equalTo("invalid_json"));
  }

  @Test
  void contentBeforeCompletionIsAConflict() {
    String id = create("acme", "a red square moving down", "steps", "30").path("id");
    given()
        .header("Authorization", bearer("acme"))
        .get("/v1/videos/" + id + "/content")
        .then()
        .statusCode(409)
        .header("x-should-retry", "false")
        .body("error.code", equalTo("job_state"));
    given()
        .header("Authorization", bearer("acme"))
        .delete("/v1/videos/" + id)
        .then()
        .statusCode(200);
  }

  @Test
  void webhooksAreCheckedAtCreateTime() {
    // A link-local address (cloud metadata) is never called, whatever the tenant asks.
    create("acme", "a red circle", "webhook_url", "http://169.254.169.254/latest/meta-data")
        .then()
        .statusCode(400)
        .body("error.param", equalTo("webhook_url"))
        .body("error.message", containsString("link-local"));
    create("acme", "a red circle", "webhook_url", "ftp://hooks.example/")
        .then()
        .statusCode(400)
        .body("error.param", equalTo("webhook_url"));
    // globex has no secret to sign with.
    create("globex", "a red circle", "webhook_url", "http://127.0.0.1:9/hook")
        .then()
        .statusCode(400)
        .body("error.param", equalTo("webhook_url"))
        .body("error.message", containsString("webhook_secret"));
  }

  /**
   * A job's webhook_url gets video.completed, signed with the tenant's secret; the receiver's first
   * answer is a 500, so the event comes again, with the same webhook-id.
   */
  @Test
  void aCompletedVideoIsPostedToItsWebhookAtLeastOnce() throws Exception {
    record Received(String id, String timestamp, String signature, String body) {}
    List<Received> received = new java.util.concurrent.CopyOnWriteArrayList<>();
    var failures = new java.util.concurrent.atomic.AtomicInteger(1);
    var server =
        com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/hook",
        exchange -> {
          var headers = exchange.getRequestHeaders();
          received.add(
              new Received(
                  headers.getFirst("webhook-id"),
                  headers.getFirst("webhook-timestamp"),
                  headers.getFirst("webhook-signature"),
                  new String(
                      exchange.getRequestBody().readAllBytes(),
                      java.nio.charset.StandardCharsets.UTF_8)));
          exchange.sendResponseHeaders(failures.getAndDecrement() > 0 ? 500 : 200, -1);
          exchange.close();
        });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
      String id =
          create("acme", "a red circle moving right", "steps", "2", "webhook_url", url)
              .then()
              .statusCode(200)
              .extract()
              .path("id");
      assertThat(awaitEnded("acme", id).getString("status")).isEqualTo("completed");
      Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
      while (received.size() < 2 && Instant.now().isBefore(deadline)) {
        Thread.sleep(50);
      }
      assertThat(received).hasSize(2);
      Received last = received.get(1);
      assertThat(last.id()).isEqualTo(received.get(0).id());
      JsonPath event = JsonPath.from(last.body());
      assertThat(event.getString("type")).isEqualTo("video.completed");
      assertThat(event.getString("object")).isEqualTo("event");
      assertThat(event.getString("data.id")).isEqualTo(id);
      assertThat(event.getString("id")).isEqualTo(last.id());
      assertThat(last.signature())
          .isEqualTo(
              new dev.framecast.scheduler.webhook.Signer(
                      "whsec_AQgPFh0kKzI5QEdOVVxjanF4f4aNlJuiqbC3vsXM09o=")
                  .sign(last.id(), Long.parseLong(last.timestamp()), last.body()));
    } finally {
      server.stop(0);
    }
  }
}
