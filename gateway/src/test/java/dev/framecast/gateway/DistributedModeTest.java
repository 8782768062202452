package dev.framecast.gateway;

import static dev.framecast.gateway.GrpcClient.failure;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.equalTo;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.GetJobRequest;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.ListModelsRequest;
import dev.framecast.api.v1.WatchJobRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The gateway in distributed mode: the scheduler over framecast.scheduler.v1 on a real port, and
 * tokens verified against an OIDC provider found by discovery (keys fetched from its JWKS).
 */
@QuarkusTest
@TestProfile(DistributedModeTest.Distributed.class)
class DistributedModeTest extends GrpcTestBase {
  public static class Distributed implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(DistributedPlatform.class));
    }

    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("framecast.mode", "distributed");
    }
  }

  @Test
  void generatesThroughTheRemoteSchedulerWithProviderTokens() {
    var acme = client.as(DistributedPlatform.token("acme"));
    List<JobEvent> events =
        GrpcClient.drain(
            acme.generate(
                GenerateRequest.newBuilder()
                    .setPrompt("a red circle moving right")
                    .setSteps(2)
                    .build()));
    assertThat(events).last().matches(JobEvent::hasCompleted);
    String id = events.get(0).getJobId();

    // Tenancy holds across the process boundary.
    var globex = client.as(DistributedPlatform.token("globex"));
    assertThat(
            failure(() -> globex.getJob(GetJobRequest.newBuilder().setJobId(id).build()))
                .getStatus()
                .getCode())
        .isEqualTo(Status.Code.NOT_FOUND);

    // Resume over the remote stream, and download the clip the scheduler stored.
    List<JobEvent> tail =
        GrpcClient.drain(
            acme.watchJob(WatchJobRequest.newBuilder().setJobId(id).setAfterSeq(2).build()));
    assertThat(tail.get(0).getSeq()).isEqualTo(3);
    byte[] mp4 =
        given()
            .header("Authorization", "Bearer " + DistributedPlatform.token("acme"))
            .get("/v1/jobs/" + id + "/clip.mp4")
            .then()
            .statusCode(200)
            .extract()
            .asByteArray();
    assertThat(new String(mp4, 4, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("ftyp");
    given()
        .baseUri("http://127.0.0.1:" + management.getPort())
        .get("/q/health/ready")
        .then()
        .statusCode(200);
  }

  /**
   * The Videos API over the remote scheduler: the content streamed through StatContent and
   * GetContent (a range, the whole, a thumbnail), and a delete that reaches the scheduler's store.
   */
  @Test
  void videosApiDownloadsRangesAndDeletesThroughTheScheduler() throws Exception {
    String bearer = "Bearer " + DistributedPlatform.token("acme");
    String id =
        given()
            .header("Authorization", bearer)
            .multiPart("prompt", "a blue circle moving left")
            .multiPart("steps", "2")
            .post("/v1/videos")
            .then()
            .statusCode(200)
            .body("status", equalTo("queued"))
            .extract()
            .path("id");
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(120);
    String status = "queued";
    while (!status.equals("completed") && System.nanoTime() < deadline) {
      Thread.sleep(200);
      status =
          given()
              .header("Authorization", bearer)
              .get("/v1/videos/" + id)
              .then()
              .statusCode(200)
              .extract()
              .path("status");
      assertThat(status).isNotEqualTo("failed");
    }
    byte[] mp4 =
        given()
            .header("Authorization", bearer)
            .get("/v1/videos/" + id + "/content")
            .then()
            .statusCode(200)
            .contentType("video/mp4")
            .extract()
            .asByteArray();
    assertThat(new String(mp4, 4, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("ftyp");
    byte[] middle =
        given()
            .header("Authorization", bearer)
            .header("Range", "bytes=10-99")
            .get("/v1/videos/" + id + "/content")
            .then()
            .statusCode(206)
            .header("Content-Range", "bytes 10-99/" + mp4.length)
            .extract()
            .asByteArray();
    assertThat(middle).isEqualTo(java.util.Arrays.copyOfRange(mp4, 10, 100));
    byte[] thumbnail =
        given()
            .header("Authorization", bearer)
            .get("/v1/videos/" + id + "/content?variant=thumbnail")
            .then()
            .statusCode(200)
            .contentType("image/png")
            .extract()
            .asByteArray();
    assertThat(javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(thumbnail)).getWidth())
        .isEqualTo(64);
    given()
        .header("Authorization", "Bearer " + DistributedPlatform.token("globex"))
        .get("/v1/videos/" + id + "/content")
        .then()
        .statusCode(404)
        .body("error.code", equalTo("not_found"));
    given()
        .header("Authorization", bearer)
        .delete("/v1/videos/" + id)
        .then()
        .statusCode(200)
        .body("deleted", equalTo(true));
    given().header("Authorization", bearer).get("/v1/videos/" + id).then().statusCode(404);
    given()
        .header("Authorization", bearer)
        .get("/v1/videos/" + id + "/content")
        .then()
        .statusCode(404);
  }

  @io.quarkus.test.common.http.TestHTTPResource(value = "/", management = true)
  java.net.URL management;

  @Test
  void developmentTokensAreNotTrustedAndTheDevIssuerIsAbsent() {
    assertThat(
            failure(
                    () ->
                        client
                            .tenant("acme") // the embedded mode's development issuer
                            .listModels(ListModelsRequest.getDefaultInstance()))
                .getStatus()
                .getCode())
        .isEqualTo(Status.Code.UNAUTHENTICATED);
    given()
        .contentType("application/json")
        .body("{\"tenant\":\"acme\"}")
        .post("/v1/dev/token")
        .then()
        .statusCode(404);
  }

  @Test
  void theAuthConfigNamesTheIssuerAndTheWebClient() {
    given()
        .get("/v1/auth/config")
        .then()
        .statusCode(200)
        .body("mode", equalTo("distributed"))
        .body("issuer", equalTo(DistributedPlatform.issuerUrl))
        .body("clientId", equalTo("framecast-web"))
        .body("devTokens", equalTo(false));
  }

  @org.junit.jupiter.api.Test
  void thePublicPortOffersNoReflectionInDistributedMode() throws Exception {
    var answer = listServices(client.channel);

    assertThatThrownBy(() -> answer.get(30, java.util.concurrent.TimeUnit.SECONDS))
        .hasCauseInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("UNIMPLEMENTED");
  }

  @jakarta.inject.Inject dev.framecast.gateway.api.ReflectionPort reflection;

  /** Reflection lives on its own port beside the management port: the API's descriptors only. */
  @org.junit.jupiter.api.Test
  void reflectionIsServedOnItsOwnPortWithDescriptorsOnly() throws Exception {
    assertThat(reflection.port()).isPositive();
    io.grpc.ManagedChannel channel =
        io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1", reflection.port())
            .usePlaintext()
            .build();
    try {
      var answer = listServices(channel);
      assertThat(
              answer
                  .get(30, java.util.concurrent.TimeUnit.SECONDS)
                  .getListServicesResponse()
                  .getServiceList())
          .extracting(io.grpc.reflection.v1.ServiceResponse::getName)
          .contains("framecast.v1.VideoGeneration");
      // Nothing is served there: a call with a valid token is UNIMPLEMENTED.
      var stub =
          dev.framecast.api.v1.VideoGenerationGrpc.newBlockingStub(channel)
              .withCallCredentials(
                  new io.grpc.CallCredentials() {
                    @Override
                    public void applyRequestMetadata(
                        RequestInfo info,
                        java.util.concurrent.Executor executor,
                        MetadataApplier applier) {
                      io.grpc.Metadata headers = new io.grpc.Metadata();
                      headers.put(
                          io.grpc.Metadata.Key.of(
                              "authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER),
                          "Bearer " + DistributedPlatform.token("acme"));
                      applier.apply(headers);
                    }
                  });
      assertThat(
              failure(() -> stub.getJob(GetJobRequest.newBuilder().setJobId("x").build()))
                  .getStatus()
                  .getCode())
          .isEqualTo(Status.Code.UNIMPLEMENTED);
    } finally {
      channel.shutdownNow();
    }
  }

  /** Asks the server on {@code channel} which services it has (gRPC reflection v1). */
  private static java.util.concurrent.CompletableFuture<
          io.grpc.reflection.v1.ServerReflectionResponse>
      listServices(io.grpc.Channel channel) {
    java.util.concurrent.CompletableFuture<io.grpc.reflection.v1.ServerReflectionResponse> answer =
        new java.util.concurrent.CompletableFuture<>();
    io.grpc.stub.StreamObserver<io.grpc.reflection.v1.ServerReflectionRequest> requests =
        io.grpc.reflection.v1.ServerReflectionGrpc.newStub(channel)
            .serverReflectionInfo(
                new io.grpc.stub.StreamObserver<>() {
                  @Override
                  public void onNext(io.grpc.reflection.v1.ServerReflectionResponse value) {
                    answer.complete(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    answer.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(
        io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("").build());
    answer.thenRun(requests::onCompleted);
    return answer;
  }
}
