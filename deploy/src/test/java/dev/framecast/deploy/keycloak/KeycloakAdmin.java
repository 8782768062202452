package dev.framecast.deploy.keycloak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Keycloak's admin REST API as an operator uses it, signed in as the bootstrap admin this test
 * gives its Keycloak ({@code KC_BOOTSTRAP_ADMIN_*}, a random password per run).
 */
final class KeycloakAdmin {
  static final String USERNAME = "it-admin";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String baseUrl;
  private final String password;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  KeycloakAdmin(String baseUrl, String password) {
    this.baseUrl = baseUrl;
    this.password = password;
  }

  /**
   * Rotates the realm's signing key as docs/operations.md says: a new {@code rsa-generated} key
   * with a higher priority than any other signs from now on; the old key stays enabled, so tokens
   * it signed verify until they expire.
   */
  void addSigningKey(String realm, String name, int priority) {
    String token = adminToken();
    String realmId = send(request("/admin/realms/" + realm, token).GET(), 200).path("id").asText();
    Map<String, Object> component =
        Map.of(
            "name",
            name,
            "providerId",
            "rsa-generated",
            "providerType",
            "org.keycloak.keys.KeyProvider",
            "parentId",
            realmId,
            "config",
            Map.of(
                "priority", List.of(Integer.toString(priority)),
                "enabled", List.of("true"),
                "active", List.of("true"),
                "algorithm", List.of("RS256")));
    try {
      send(
          request("/admin/realms/" + realm + "/components", token)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(component))),
          201);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Lets the web page's public client serve a page at {@code origin} (e.g. {@code
   * http://127.0.0.1:41234}), as an operator does for a gateway's public URL: the origin joins the
   * client's web origins (CORS of the token endpoint) and {@code origin/*} its redirect URIs and
   * post-logout redirect URIs.
   */
  void allowWebPage(String realm, String clientId, String origin) {
    String token = adminToken();
    JsonNode found =
        send(
            request(
                    "/admin/realms/"
                        + realm
                        + "/clients?clientId="
                        + URLEncoder.encode(clientId, StandardCharsets.UTF_8),
                    token)
                .GET(),
            200);
    if (found.size() != 1) {
      throw new IllegalStateException("realm " + realm + " has no client " + clientId);
    }
    ObjectNode client = (ObjectNode) found.get(0);
    String redirect = origin + "/*";
    addIfAbsent(client.withArray("webOrigins"), origin);
    addIfAbsent(client.withArray("redirectUris"), redirect);
    ObjectNode attributes = client.withObject("/attributes");
    String logout = attributes.path("post.logout.redirect.uris").asText("");
    if (!List.of(logout.split("##")).contains(redirect)) {
      attributes.put(
          "post.logout.redirect.uris", logout.isEmpty() ? redirect : logout + "##" + redirect);
    }
    try {
      send(
          request("/admin/realms/" + realm + "/clients/" + client.path("id").asText(), token)
              .header("Content-Type", "application/json")
              .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(client))),
          204);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void addIfAbsent(ArrayNode array, String value) {
    for (JsonNode item : array) {
      if (value.equals(item.asText())) {
        return;
      }
    }
    array.add(value);
  }

  private String adminToken() {
    String form =
        "grant_type=password&client_id=admin-cli&username="
            + USERNAME
            + "&password="
            + URLEncoder.encode(password, StandardCharsets.UTF_8);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(baseUrl + "/realms/master/protocol/openid-connect/token"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form));
    return send(request, 200).path("access_token").asText();
  }

  private HttpRequest.Builder request(String path, String token) {
    return HttpRequest.newBuilder(URI.create(baseUrl + path))
        .header("Authorization", "Bearer " + token);
  }

  private JsonNode send(HttpRequest.Builder builder, int expected) {
    HttpRequest request = builder.timeout(Duration.ofSeconds(30)).build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != expected) {
        throw new IllegalStateException(
            request.method()
                + " "
                + request.uri()
                + " answered "
                + response.statusCode()
                + ": "
                + response.body());
      }
      return response.body().isBlank() ? JSON.nullNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      throw new IllegalStateException(request.method() + " " + request.uri() + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
