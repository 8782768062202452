package dev.framecast.gateway.backend;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.GetJobRequest;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.VideoGenerationGrpc;
import dev.framecast.api.v1.WatchJobRequest;
import dev.framecast.devissuer.DevIssuer;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway with {@code framecast.mode=simulated}: development tokens, fake jobs streamed over
 * gRPC through the production streaming path, and the mode visible in readiness and metrics.
 */
@QuarkusTest
@TestProfile(SimulatedModeTest.Simulated.class)
class SimulatedModeTest {
  public static class Simulated implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("framecast.mode", "simulated", "framecast.simulated.step-interval", "5ms");
    }
  }

  @TestHTTPResource("/")
  URL url;

  ManagedChannel channel;

  @BeforeEach
  void connect() {
    channel = NettyChannelBuilder.forAddress("127.0.0.1", url.getPort()).usePlaintext().build();
  }

  @AfterEach
  void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  VideoGenerationGrpc.VideoGenerationBlockingStub as(String tenant) throws Exception {
    String token =
        DevIssuer.loadOrCreate(Path.of("target/dev-issuer")).mint(DevIssuer.Claims.user(tenant));
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return VideoGenerationGrpc.newBlockingStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .withCallCredentials(
            new CallCredentials() {
              @Override
              public void applyRequestMetadata(
                  RequestInfo info, Executor executor, MetadataApplier applier) {
                applier.apply(headers);
              }
            });
  }

  @Test
  void streamsFakeJobsWithTenancyAndSaysItIsSimulated() throws Exception {
    List<JobEvent> events = new ArrayList<>();
    as("acme")
        .generate(GenerateRequest.newBuilder().setPrompt("anything").setSteps(3).build())
        .forEachRemaining(events::add);
    assertThat(events).extracting(JobEvent::getSeq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
    assertThat(events.get(0).hasQueued()).isTrue();
    assertThat(events.get(1).hasStarted()).isTrue();
    assertThat(events.subList(2, 5)).allMatch(JobEvent::hasProgress);
    assertThat(events.get(5).hasClipChunk()).isTrue();
    assertThat(events.get(6).hasCompleted()).isTrue();
    String id = events.get(0).getJobId();

    List<JobEvent> tail = new ArrayList<>();
    as("acme")
        .watchJob(WatchJobRequest.newBuilder().setJobId(id).setAfterSeq(5).build())
        .forEachRemaining(tail::add);
    assertThat(tail).extracting(JobEvent::getSeq).containsExactly(6L, 7L);

    var globex = as("globex");
    assertThatThrownBy(() -> globex.getJob(GetJobRequest.newBuilder().setJobId(id).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));

    given().get("/q/health/ready").then().statusCode(200).body(containsString("SIMULATED"));
    given()
        .get("/q/metrics")
        .then()
        .statusCode(200)
        .body(containsString("framecast_gateway_backend{mode=\"simulated\"} 1.0"));
  }
}
