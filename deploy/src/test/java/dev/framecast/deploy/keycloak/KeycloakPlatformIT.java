package dev.framecast.deploy.keycloak;

import static dev.framecast.deploy.keycloak.GatewayClient.failure;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.framecast.api.v1.GetJobRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.api.v1.ListJobsRequest;
import dev.framecast.api.v1.ListModelsRequest;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway in distributed mode against a real Keycloak with {@code
 * deploy/keycloak/framecast-realm.json}: the teams' client-credentials tokens generate clips and
 * keep their jobs apart, a web user signs in with PKCE and acts for their team, and expired or
 * foreign tokens are refused.
 */
@ExtendWith(PlatformExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeycloakPlatformIT {
  /** The demo secrets of deploy/keycloak/framecast-realm.json (docs/operations.md, Keycloak). */
  static final String ACME_SECRET = "acme-demo-secret";

  /**
   * Not the realm file's demo secret: Keycloak imports it from FRAMECAST_GLOBEX_CLIENT_SECRET (the
   * realm's placeholder, as compose sets it from .env), so globex's tokens prove the placeholder
   * works; acme keeps the default.
   */
  static final String GLOBEX_SECRET = "globex-secret-from-the-environment";

  private static GatewayClient client;

  @BeforeAll
  static void connect(Platform platform) {
    client = new GatewayClient(platform.gatewayPort);
  }

  @AfterAll
  static void disconnect() {
    if (client != null) {
      client.close();
    }
  }

  @Test
  void teamTokensCarryTenantAudienceAndRole(Platform platform) {
    String acme = platform.oidc.clientCredentials(Keycloak.REALM, "acme", ACME_SECRET);
    JsonNode claims = Oidc.claims(acme);
    assertThat(claims.path("iss").asText()).isEqualTo(platform.issuer());
    assertThat(claims.path("tenant").asText()).isEqualTo("acme");
    assertThat(audiences(claims)).contains("framecast");
    assertThat(claims.at("/realm_access/roles").toString()).contains("\"framecast-user\"");
  }

  @Test
  void twoTeamsGenerateClipsAndSeeOnlyTheirOwnJobs(Platform platform) throws Exception {
    String acme = platform.oidc.clientCredentials(Keycloak.REALM, "acme", ACME_SECRET);
    String globex = platform.oidc.clientCredentials(Keycloak.REALM, "globex", GLOBEX_SECRET);

    CompletableFuture<List<JobEvent>> acmeRun =
        CompletableFuture.supplyAsync(() -> client.generate(acme, "a red circle moving right", 2));
    CompletableFuture<List<JobEvent>> globexRun =
        CompletableFuture.supplyAsync(
            () -> client.generate(globex, "a blue square moving left", 2));
    List<JobEvent> acmeEvents = acmeRun.get();
    List<JobEvent> globexEvents = globexRun.get();
    assertThat(acmeEvents).last().matches(JobEvent::hasCompleted, "completed");
    assertThat(globexEvents).last().matches(JobEvent::hasCompleted, "completed");
    assertThat(acmeEvents.get(acmeEvents.size() - 1).getCompleted().getClipSizeBytes())
        .isPositive();
    String acmeJob = acmeEvents.get(0).getJobId();
    String globexJob = globexEvents.get(0).getJobId();

    Job own = client.as(acme).getJob(GetJobRequest.newBuilder().setJobId(acmeJob).build());
    assertThat(own.getTenant()).isEqualTo("acme");
    assertThat(own.getState()).isEqualTo(JobState.SUCCEEDED);

    List<Job> acmeList =
        client.as(acme).listJobs(ListJobsRequest.getDefaultInstance()).getJobsList();
    assertThat(acmeList).extracting(Job::getId).contains(acmeJob).doesNotContain(globexJob);
    assertThat(acmeList).extracting(Job::getTenant).containsOnly("acme");
    List<Job> globexList =
        client.as(globex).listJobs(ListJobsRequest.getDefaultInstance()).getJobsList();
    assertThat(globexList).extracting(Job::getId).contains(globexJob).doesNotContain(acmeJob);
    assertThat(globexList).extracting(Job::getTenant).containsOnly("globex");

    assertThat(
            failure(
                () ->
                    client.as(globex).getJob(GetJobRequest.newBuilder().setJobId(acmeJob).build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(
            failure(
                () ->
                    client.as(acme).getJob(GetJobRequest.newBuilder().setJobId(globexJob).build())))
        .isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void aWebUserSignsInWithPkceAndActsForTheTeamOfTheirGroup(Platform platform) {
    // The page as the realm ships for it: served by a gateway on port 8080. Keycloak's redirect
    // to it is read, not followed, and the token goes to the gateway under test.
    String page = "http://localhost:8080";
    Oidc.SignIn alice =
        platform.oidc.signIn(
            Keycloak.REALM, "framecast-web", "alice", "alice-demo-password", page + "/", page);
    JsonNode claims = Oidc.claims(alice.accessToken());
    assertThat(claims.path("tenant").asText()).isEqualTo("acme");
    assertThat(claims.path("azp").asText()).isEqualTo("framecast-web");
    assertThat(audiences(claims)).contains("framecast");
    assertThat(alice.allowedOrigin()).isEqualTo(page);
    assertThat(
            client
                .as(alice.accessToken())
                .listJobs(ListJobsRequest.getDefaultInstance())
                .getJobsList())
        .extracting(Job::getTenant)
        .containsOnly("acme");

    // The ID token is for the page (aud framecast-web), not for the API.
    assertThat(
            failure(
                () ->
                    client.as(alice.idToken()).listModels(ListModelsRequest.getDefaultInstance())))
        .isEqualTo(Status.Code.UNAUTHENTICATED);

    String loopback = "http://127.0.0.1:8080";
    Oidc.SignIn bob =
        platform.oidc.signIn(
            Keycloak.REALM, "framecast-web", "bob", "bob-demo-password", loopback + "/", loopback);
    assertThat(Oidc.claims(bob.accessToken()).path("tenant").asText()).isEqualTo("globex");
    assertThat(bob.allowedOrigin()).isEqualTo(loopback);
    assertThat(
            client
                .as(bob.accessToken())
                .listJobs(ListJobsRequest.getDefaultInstance())
                .getJobsList())
        .extracting(Job::getTenant)
        .containsOnly("globex");

    // An authorization request without a PKCE challenge is refused: the client requires S256.
    assertThat(platform.oidc.authorizeWithoutPkce(Keycloak.REALM, "framecast-web", page + "/"))
        .startsWith(page + "/")
        .contains("error=invalid_request");
  }

  @Test
  void anExpiredTokenIsUnauthenticated(Platform platform) {
    String token =
        platform.oidc.clientCredentials(
            Keycloak.REALM, Keycloak.SHORT_LIVED_CLIENT, Keycloak.SHORT_LIVED_SECRET);
    Instant expiry = Instant.ofEpochSecond(Oidc.claims(token).path("exp").asLong());
    assertThat(
            Duration.between(
                Instant.ofEpochSecond(Oidc.claims(token).path("iat").asLong()), expiry))
        .isEqualTo(Duration.ofSeconds(Keycloak.SHORT_LIVED_SECONDS));
    // Valid while it lives: the refusal below is for its age and nothing else.
    client.as(token).listModels(ListModelsRequest.getDefaultInstance());

    Duration untilExpired = Duration.between(Instant.now(), expiry.plusSeconds(1));
    if (!untilExpired.isNegative()) {
      Waits.sleep(untilExpired);
    }
    assertThat(failure(() -> client.as(token).listModels(ListModelsRequest.getDefaultInstance())))
        .isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void aTokenFromAnotherRealmIsUnauthenticated(Platform platform) {
    // Same client id, tenant, audience and role names as team acme's, signed by realm "other".
    String foreign =
        platform.oidc.clientCredentials(Keycloak.OTHER_REALM, "acme", "other-realm-test-secret");
    JsonNode claims = Oidc.claims(foreign);
    assertThat(claims.path("tenant").asText()).isEqualTo("acme");
    assertThat(audiences(claims)).contains("framecast");
    assertThat(claims.path("iss").asText()).isEqualTo(platform.oidc.issuer(Keycloak.OTHER_REALM));

    assertThat(failure(() -> client.as(foreign).listJobs(ListJobsRequest.getDefaultInstance())))
        .isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  /**
   * First of this class on purpose: the gateway (quarkus-oidc) refetches the realm's keys for an
   * unknown kid at most once every 10 minutes, and the foreign realm's token below spends that
   * refresh; after it, a rotation would lock new tokens out for up to 10 minutes (tried; see
   * docs/operations.md, "Rotating the realm's signing keys").
   */
  @Test
  @Order(1)
  void aRotatedRealmKeyIsPickedUpWithoutRestartingTheGateway(Platform platform) {
    String before = platform.oidc.clientCredentials(Keycloak.REALM, "acme", ACME_SECRET);
    client.as(before).listModels(ListModelsRequest.getDefaultInstance());

    platform.keycloakAdmin.addSigningKey(Keycloak.REALM, "rotated-by-test", 1000);
    String after = platform.oidc.clientCredentials(Keycloak.REALM, "acme", ACME_SECRET);
    assertThat(Oidc.header(after).path("kid").asText())
        .isNotEqualTo(Oidc.header(before).path("kid").asText());

    // A kid the gateway has not seen makes it fetch the realm's keys again.
    client.as(after).listModels(ListModelsRequest.getDefaultInstance());
    // The old key stays enabled, so tokens it signed keep working until they expire.
    client.as(before).listModels(ListModelsRequest.getDefaultInstance());
  }

  /** {@code aud} is a string for one audience and an array for several. */
  private static List<String> audiences(JsonNode claims) {
    JsonNode aud = claims.path("aud");
    if (aud.isArray()) {
      return java.util.stream.StreamSupport.stream(aud.spliterator(), false)
          .map(JsonNode::asText)
          .toList();
    }
    return List.of(aud.asText());
  }
}
