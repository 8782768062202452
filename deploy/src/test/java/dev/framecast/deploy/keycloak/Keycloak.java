package dev.framecast.deploy.keycloak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A real Keycloak ({@code keycloak-quarkus-dist}, unpacked by Maven into {@code target/keycloak})
 * running {@code start-dev} with an in-memory database, so that every run imports the realms
 * afresh: {@code deploy/keycloak/framecast-realm.json} plus one test-only client, and the test
 * realm {@code other}.
 */
final class Keycloak {
  static final String REALM = "framecast";
  static final String OTHER_REALM = "other";

  /**
   * Added to the imported framecast realm only here: a copy of team acme's client whose access
   * tokens live {@value} seconds, so the test gets a genuinely expired Keycloak token in seconds.
   */
  static final int SHORT_LIVED_SECONDS = 4;

  static final String SHORT_LIVED_CLIENT = "acme-short-lived";
  static final String SHORT_LIVED_SECRET = "acme-short-lived-test-secret";

  private static final ObjectMapper JSON = new ObjectMapper();

  private Keycloak() {}

  /**
   * Writes the realms into {@code home/data/import} and starts Keycloak on the given ports (HTTP on
   * 127.0.0.1, management with {@code /health/ready}). Returns at once; see {@link #awaitReady}.
   */
  static ManagedProcess start(
      Path home,
      Path realmFile,
      int httpPort,
      int managementPort,
      String adminPassword,
      Path logs) {
    Path kcSh = home.resolve("bin/kc.sh");
    if (!Files.isRegularFile(kcSh)) {
      throw new IllegalStateException(
          kcSh
              + " is missing: Maven unpacks Keycloak in the pre-integration-test phase"
              + " (./mvnw -pl deploy verify)");
    }
    writeImport(home.resolve("data/import"), realmFile);
    return ManagedProcess.start(
        "keycloak",
        List.of(
            "bash",
            kcSh.toString(),
            "start-dev",
            "--import-realm",
            "--db=dev-mem",
            "--http-host=127.0.0.1",
            "--http-port=" + httpPort,
            "--http-management-port=" + managementPort,
            "--health-enabled=true"),
        home,
        Map.of(
            "JAVA_HOME",
            System.getProperty("java.home"),
            // kc.sh's default takes half of the machine's memory up front.
            "JAVA_OPTS_KC_HEAP",
            "-Xms64m -Xmx768m",
            // A master realm admin for KeycloakAdmin, with a password made for this run.
            "KC_BOOTSTRAP_ADMIN_USERNAME",
            KeycloakAdmin.USERNAME,
            "KC_BOOTSTRAP_ADMIN_PASSWORD",
            adminPassword,
            // A placeholder of the realm file, resolved at import (acme's keeps its default).
            "FRAMECAST_GLOBEX_CLIENT_SECRET",
            KeycloakPlatformIT.GLOBEX_SECRET),
        logs);
  }

  private static void writeImport(Path importDir, Path realmFile) {
    try {
      if (Files.isDirectory(importDir)) {
        try (Stream<Path> old = Files.list(importDir)) {
          for (Path file : old.toList()) {
            Files.delete(file);
          }
        }
      }
      Files.createDirectories(importDir);
      ObjectNode realm = (ObjectNode) JSON.readTree(realmFile.toFile());
      addShortLivedClient(realm);
      JSON.writerWithDefaultPrettyPrinter()
          .writeValue(importDir.resolve("framecast-realm.json").toFile(), realm);
      try (InputStream other = Keycloak.class.getResourceAsStream("/keycloak/other-realm.json")) {
        Files.copy(other, importDir.resolve("other-realm.json"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the realms to import into " + importDir, e);
    }
  }

  /** Team acme's client and service account, copied, renamed, with short-lived tokens. */
  private static void addShortLivedClient(ObjectNode realm) {
    ObjectNode acme = find(realm.withArray("clients"), "clientId", "acme").deepCopy();
    acme.put("clientId", SHORT_LIVED_CLIENT);
    acme.put("name", "Test only: team acme with " + SHORT_LIVED_SECONDS + " s tokens");
    acme.put("secret", SHORT_LIVED_SECRET);
    acme.withObject("/attributes")
        .put("access.token.lifespan", Integer.toString(SHORT_LIVED_SECONDS));
    realm.withArray("clients").add(acme);
    ObjectNode account =
        find(realm.withArray("users"), "serviceAccountClientId", "acme").deepCopy();
    account.put("username", "service-account-" + SHORT_LIVED_CLIENT);
    account.put("serviceAccountClientId", SHORT_LIVED_CLIENT);
    realm.withArray("users").add(account);
  }

  private static ObjectNode find(ArrayNode array, String field, String value) {
    for (JsonNode node : array) {
      if (value.equals(node.path(field).asText())) {
        return (ObjectNode) node;
      }
    }
    throw new IllegalStateException("the realm has no entry with " + field + " = " + value);
  }

  /** Polls the management interface's {@code /health/ready} until UP, failing with the log. */
  static void awaitReady(ManagedProcess keycloak, int managementPort, Duration timeout) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    URI ready = URI.create("http://127.0.0.1:" + managementPort + "/health/ready");
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      keycloak.checkAlive();
      try {
        HttpResponse<String> response =
            http.send(
                HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200 && response.body().contains("UP")) {
          return;
        }
      } catch (IOException notYet) {
        // Not listening yet.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for Keycloak", e);
      }
      Waits.sleep(Duration.ofMillis(500));
    }
    throw new IllegalStateException(
        "Keycloak was not ready within "
            + timeout.toSeconds()
            + " s ("
            + ready
            + "); last lines of "
            + keycloak.log()
            + ":\n"
            + keycloak.logTail(60));
  }
}
