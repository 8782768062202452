package dev.framecast.gateway.bench;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.GetJobRequest;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.VideoGenerationGrpc;
import dev.framecast.api.v1.WatchJobRequest;
import dev.framecast.gateway.OidcStub;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the stream benchmark runs: the production gateway in distributed mode in front of a {@link
 * SimulatedScheduler}, with tokens from an {@link OidcStub}. Fake jobs stream through the gateway's
 * relay of the scheduler's Watch, with tenancy kept.
 */
@QuarkusTest
@TestProfile(SimulatedSchedulerTest.Profile.class)
class SimulatedSchedulerTest {
  @io.quarkus.test.common.http.TestHTTPResource(value = "/", management = true)
  java.net.URL management;

  static volatile OidcStub oidc;

  /** The stub provider and the simulated scheduler, started before the gateway. */
  public static class Platform implements QuarkusTestResourceLifecycleManager {
    private SimulatedScheduler scheduler;

    @Override
    public Map<String, String> start() {
      try {
        oidc = OidcStub.start(Path.of("target/simulated-scheduler-issuer"));
        scheduler =
            SimulatedScheduler.start(
                new SimulatedBackend(
                    new SimulatedBackend.Settings(
                        Duration.ofMillis(5),
                        24,
                        10_000,
                        100,
                        Duration.ofMinutes(5),
                        4096,
                        1 << 20,
                        false,
                        2),
                    Clock.systemUTC()));
        return Map.of(
            "framecast.mode",
            "distributed",
            "framecast.distributed.scheduler",
            scheduler.address(),
            "framecast.distributed.insecure",
            "true",
            "framecast.oidc.issuer",
            oidc.issuer(),
            "framecast.oidc.audience",
            OidcStub.AUDIENCE);
      } catch (IOException e) {
        throw new IllegalStateException("cannot start the simulated scheduler", e);
      }
    }

    @Override
    public void stop() {
      if (scheduler != null) {
        scheduler.close();
      }
      if (oidc != null) {
        oidc.close();
      }
    }
  }

  public static class Profile implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(Platform.class));
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

  VideoGenerationGrpc.VideoGenerationBlockingStub as(String tenant) {
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        "Bearer " + oidc.token(tenant));
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
  void fakeJobsStreamThroughTheDistributedGatewayWithTenancy() {
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

    String managementUri = "http://127.0.0.1:" + management.getPort();
    given()
        .baseUri(managementUri)
        .get("/q/health/ready")
        .then()
        .statusCode(200)
        .body(containsString("scheduler at"));
    given()
        .baseUri(managementUri)
        .get("/q/metrics")
        .then()
        .statusCode(200)
        .body(containsString("framecast_gateway_backend{mode=\"distributed\"} 1.0"));
  }
}
