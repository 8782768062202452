package dev.framecast.gateway;

import static dev.framecast.gateway.GrpcClient.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.CancelJobRequest;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.GetJobRequest;
import dev.framecast.api.v1.GetUsageRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.ListJobsRequest;
import dev.framecast.api.v1.ListModelsRequest;
import dev.framecast.api.v1.WatchJobRequest;
import dev.framecast.devissuer.DevIssuer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Who may call what, over gRPC, with real tokens verified by quarkus-oidc. */
@QuarkusTest
class AuthMatrixTest extends GrpcTestBase {

  private static Status.Code listModels(GrpcClient client, String token) {
    StatusRuntimeException e =
        failure(
            () ->
                (token == null ? client.anonymous() : client.as(token))
                    .listModels(ListModelsRequest.getDefaultInstance()));
    return e.getStatus().getCode();
  }

  @Test
  void noTokenIsUnauthenticated() {
    assertThat(listModels(client, null)).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(listModels(client, "not-a-jwt")).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void aTokenSignedByAnotherKeyIsUnauthenticated() throws Exception {
    DevIssuer stranger = DevIssuer.loadOrCreate(Files.createTempDirectory("stranger"));
    assertThat(listModels(client, stranger.mint(DevIssuer.Claims.user("acme"))))
        .isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void anExpiredTokenIsUnauthenticated() {
    String expired =
        Tokens.issuer()
            .mint(
                DevIssuer.Claims.user("acme")
                    .withTimes(Instant.now().minus(Duration.ofHours(2)), Duration.ofHours(1)));
    assertThat(listModels(client, expired)).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void aTokenForAnotherAudienceOrIssuerIsUnauthenticated() {
    String audience = Tokens.issuer().mint(DevIssuer.Claims.user("acme").withAudience("billing"));
    assertThat(listModels(client, audience)).isEqualTo(Status.Code.UNAUTHENTICATED);
    DevIssuer.Claims c = DevIssuer.Claims.user("acme");
    String issuer =
        Tokens.issuer()
            .mint(
                new DevIssuer.Claims(
                    c.tenant(),
                    c.subject(),
                    c.roles(),
                    "https://elsewhere/realms/x",
                    c.audience(),
                    c.issuedAt(),
                    c.lifetime()));
    assertThat(listModels(client, issuer)).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void anUnknownTenantIsPermissionDenied() {
    assertThat(listModels(client, Tokens.user("umbrella")))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void aTokenWithoutTheRoleOrTenantIsPermissionDenied() {
    String viewer =
        Tokens.issuer().mint(DevIssuer.Claims.user("acme").withRoles(List.of("viewer")));
    assertThat(listModels(client, viewer)).isEqualTo(Status.Code.PERMISSION_DENIED);
    DevIssuer.Claims c = DevIssuer.Claims.user("acme");
    String noTenant =
        Tokens.issuer()
            .mint(
                new DevIssuer.Claims(
                    null,
                    c.subject(),
                    c.roles(),
                    c.issuer(),
                    c.audience(),
                    c.issuedAt(),
                    c.lifetime()));
    assertThat(listModels(client, noTenant)).isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void anotherTenantsJobIsNotFoundForGetCancelAndWatch() {
    Job job =
        client
            .tenant("acme")
            .submitJob(
                GenerateRequest.newBuilder()
                    .setPrompt("a green circle moving up")
                    .setSteps(2)
                    .build());
    var globex = client.tenant("globex");
    StatusRuntimeException get =
        failure(() -> globex.getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build()));
    StatusRuntimeException cancel =
        failure(
            () -> globex.cancelJob(CancelJobRequest.newBuilder().setJobId(job.getId()).build()));
    StatusRuntimeException watch =
        failure(() -> globex.watchJob(WatchJobRequest.newBuilder().setJobId(job.getId()).build()));
    StatusRuntimeException unknown =
        failure(() -> globex.getJob(GetJobRequest.newBuilder().setJobId("no-such-job").build()));
    for (StatusRuntimeException e : List.of(get, cancel, watch)) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
      // Indistinguishable from a job that does not exist.
      assertThat(e.getStatus().getDescription())
          .isEqualTo(unknown.getStatus().getDescription().replace("no-such-job", job.getId()));
    }
    assertThat(globex.listJobs(ListJobsRequest.getDefaultInstance()).getJobsList())
        .noneMatch(j -> j.getId().equals(job.getId()));
    // The owner still sees it, uncancelled, and it finishes.
    var acme = client.tenant("acme");
    assertThat(
            GrpcClient.drain(
                acme.watchJob(WatchJobRequest.newBuilder().setJobId(job.getId()).build())))
        .last()
        .matches(e -> e.hasCompleted());
  }

  @Test
  void onlyAdminsReadAnotherTenantsUsage() {
    GetUsageRequest globex = GetUsageRequest.newBuilder().setTenant("globex").build();
    assertThat(failure(() -> client.tenant("acme").getUsage(globex)).getStatus().getCode())
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    String admin =
        Tokens.issuer()
            .mint(
                DevIssuer.Claims.user("acme")
                    .withRoles(List.of(DevIssuer.USER_ROLE, DevIssuer.ADMIN_ROLE)));
    assertThat(client.as(admin).getUsage(globex).getTenant()).isEqualTo("globex");
    assertThat(client.tenant("acme").getUsage(GetUsageRequest.getDefaultInstance()).getTenant())
        .isEqualTo("acme");
  }
}
