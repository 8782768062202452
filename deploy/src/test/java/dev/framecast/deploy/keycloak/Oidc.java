package dev.framecast.deploy.keycloak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What clients of Framecast do with Keycloak: the client-credentials grant of a team's program, and
 * the web page's authorization code flow with PKCE (the browser's part played by an HTTP client
 * that submits Keycloak's login form).
 */
final class Oidc {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern FORM = Pattern.compile("<form\\b[^>]*>");
  private static final Pattern ACTION = Pattern.compile("action=\"([^\"]+)\"");

  private final String baseUrl;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** {@code baseUrl}: Keycloak's root, e.g. {@code http://127.0.0.1:8180}. */
  Oidc(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  String issuer(String realm) {
    return baseUrl + "/realms/" + realm;
  }

  String tokenEndpoint(String realm) {
    return issuer(realm) + "/protocol/openid-connect/token";
  }

  String authorizationEndpoint(String realm) {
    return issuer(realm) + "/protocol/openid-connect/auth";
  }

  /** A team program's access token: client credentials, secret in the form (client_secret_post). */
  String clientCredentials(String realm, String clientId, String secret) {
    HttpResponse<String> response =
        post(
            tokenEndpoint(realm),
            Map.of(
                "grant_type", "client_credentials", "client_id", clientId, "client_secret", secret),
            Map.of());
    return field(response, "access_token");
  }

  /** The tokens of a web sign-in, and the CORS header Keycloak answered the page's origin with. */
  record SignIn(String accessToken, String idToken, String allowedOrigin) {}

  /**
   * Signs {@code username} in through the {@code framecast-web} client as the web page will:
   * authorization request with an S256 code challenge, Keycloak's login form, the code from the
   * redirect to {@code redirectUri}, and the code exchanged with the verifier from {@code origin}.
   */
  SignIn signIn(
      String realm,
      String clientId,
      String username,
      String password,
      String redirectUri,
      String origin) {
    HttpClient browser =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    String verifier = randomUrlSafe(48);
    String state = randomUrlSafe(12);
    String authorize =
        authorizationEndpoint(realm)
            + "?"
            + form(
                Map.of(
                    "client_id",
                    clientId,
                    "response_type",
                    "code",
                    "scope",
                    "openid",
                    "redirect_uri",
                    redirectUri,
                    "state",
                    state,
                    "code_challenge",
                    challenge(verifier),
                    "code_challenge_method",
                    "S256"));
    HttpResponse<String> loginPage = send(browser, HttpRequest.newBuilder(URI.create(authorize)));
    String action = loginFormAction(loginPage.body());
    if (loginPage.statusCode() != 200 || action == null) {
      throw new IllegalStateException(
          "no login form for "
              + authorize
              + ": "
              + loginPage.statusCode()
              + " "
              + loginPage.body());
    }
    HttpResponse<String> submitted =
        send(
            browser,
            HttpRequest.newBuilder(URI.create(action))
                .header("Cookie", cookies(loginPage))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        form(Map.of("username", username, "password", password)))));
    String location = submitted.headers().firstValue("Location").orElse("");
    if (submitted.statusCode() != 302 || !location.startsWith(redirectUri)) {
      throw new IllegalStateException(
          "sign-in of "
              + username
              + " did not redirect to "
              + redirectUri
              + ": "
              + submitted.statusCode()
              + " "
              + location);
    }
    Map<String, String> callback = query(URI.create(location).getRawQuery());
    if (!state.equals(callback.get("state")) || !callback.containsKey("code")) {
      throw new IllegalStateException("unexpected redirect " + location);
    }
    HttpResponse<String> tokens =
        post(
            tokenEndpoint(realm),
            Map.of(
                "grant_type", "authorization_code",
                "client_id", clientId,
                "code", callback.get("code"),
                "redirect_uri", redirectUri,
                "code_verifier", verifier),
            Map.of("Origin", origin));
    HttpHeaders headers = tokens.headers();
    return new SignIn(
        field(tokens, "access_token"),
        field(tokens, "id_token"),
        headers.firstValue("Access-Control-Allow-Origin").orElse(null));
  }

  /**
   * Where Keycloak sends the browser for an authorization request without a code challenge: the
   * redirect carries {@code error=invalid_request} when the client requires PKCE.
   */
  String authorizeWithoutPkce(String realm, String clientId, String redirectUri) {
    HttpClient browser = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    String url =
        authorizationEndpoint(realm)
            + "?"
            + form(
                Map.of(
                    "client_id",
                    clientId,
                    "response_type",
                    "code",
                    "scope",
                    "openid",
                    "redirect_uri",
                    redirectUri));
    return send(browser, HttpRequest.newBuilder(URI.create(url)))
        .headers()
        .firstValue("Location")
        .orElse("");
  }

  /**
   * The cookies a response set, as a request's Cookie header. Not java.net.CookieManager: Keycloak
   * marks its session cookies Secure, which browsers still send to http://127.0.0.1 (a secure
   * context) and CookieManager does not.
   */
  private static String cookies(HttpResponse<?> response) {
    return response.headers().allValues("Set-Cookie").stream()
        .map(cookie -> cookie.split(";", 2)[0].trim())
        .collect(Collectors.joining("; "));
  }

  private static String loginFormAction(String html) {
    Matcher form = FORM.matcher(html);
    while (form.find()) {
      Matcher action = ACTION.matcher(form.group());
      if (form.group().contains("kc-form-login") && action.find()) {
        return action.group(1).replace("&amp;", "&");
      }
    }
    return null;
  }

  /** The payload of a JWT, unverified: for asserting what Keycloak put in a token. */
  static JsonNode claims(String jwt) {
    return part(jwt, 1);
  }

  /** The header of a JWT ({@code kid}, {@code alg}). */
  static JsonNode header(String jwt) {
    return part(jwt, 0);
  }

  private static JsonNode part(String jwt, int index) {
    String[] parts = jwt.split("\\.");
    try {
      return JSON.readTree(Base64.getUrlDecoder().decode(parts[index]));
    } catch (IOException | ArrayIndexOutOfBoundsException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not a JWT: " + jwt, e);
    }
  }

  private HttpResponse<String> post(
      String url, Map<String, String> fields, Map<String, String> headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form(fields)));
    headers.forEach(request::header);
    return send(http, request);
  }

  private static HttpResponse<String> send(HttpClient client, HttpRequest.Builder request) {
    try {
      return client.send(
          request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException("request failed: " + request.build().uri(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static String field(HttpResponse<String> response, String name) {
    try {
      JsonNode body = JSON.readTree(response.body());
      if (response.statusCode() != 200 || !body.hasNonNull(name)) {
        throw new IllegalStateException(
            response.request().uri() + " answered " + response.statusCode() + ": " + body);
      }
      return body.get(name).asText();
    } catch (IOException e) {
      throw new IllegalStateException(
          response.request().uri() + " answered " + response.statusCode() + ": " + response.body(),
          e);
    }
  }

  private static String form(Map<String, String> fields) {
    return fields.entrySet().stream()
        .map(
            e ->
                URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                    + "="
                    + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
  }

  private static Map<String, String> query(String rawQuery) {
    Map<String, String> values = new LinkedHashMap<>();
    for (String pair : rawQuery == null ? new String[0] : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        values.put(
            URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return values;
  }

  private static String randomUrlSafe(int bytes) {
    byte[] random = new byte[bytes];
    new SecureRandom().nextBytes(random);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
  }

  private static String challenge(String verifier) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
