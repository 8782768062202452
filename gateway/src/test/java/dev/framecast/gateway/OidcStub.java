package dev.framecast.gateway;

import com.sun.net.httpserver.HttpServer;
import dev.framecast.devissuer.DevIssuer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * An OIDC provider as a distributed gateway finds it, reduced to what it reads: a discovery
 * document and a JWKS over HTTP on loopback, as Keycloak publishes them. Its keys are a {@link
 * DevIssuer}'s, so a test can mint the tokens the provider "issued".
 */
public final class OidcStub implements AutoCloseable {
  /** The audience the gateway checks (framecast.oidc.audience). */
  public static final String AUDIENCE = "framecast-gateway";

  private final HttpServer server;
  private final DevIssuer keys;
  private final String issuer;

  private OidcStub(HttpServer server, DevIssuer keys, String issuer) {
    this.server = server;
    this.keys = keys;
    this.issuer = issuer;
  }

  /** Starts the provider with the keys kept in {@code keyDir} (made there on first use). */
  public static OidcStub start(Path keyDir) throws IOException {
    DevIssuer keys = DevIssuer.loadOrCreate(keyDir);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    String issuer = "http://127.0.0.1:" + server.getAddress().getPort() + "/realms/framecast";
    server.createContext(
        "/realms/framecast/.well-known/openid-configuration",
        exchange ->
            reply(
                exchange,
                "{\"issuer\":\""
                    + issuer
                    + "\",\"jwks_uri\":\""
                    + issuer
                    + "/protocol/openid-connect/certs\","
                    + "\"token_endpoint\":\""
                    + issuer
                    + "/protocol/openid-connect/token\"}"));
    server.createContext(
        "/realms/framecast/protocol/openid-connect/certs",
        exchange -> reply(exchange, keys.jwks()));
    server.start();
    return new OidcStub(server, keys, issuer);
  }

  /** The issuer URL (framecast.oidc.issuer). */
  public String issuer() {
    return issuer;
  }

  /** A token this provider issued for a user of the tenant, for the gateway's audience. */
  public String token(String tenant) {
    return token(keys, issuer, tenant);
  }

  /**
   * A token of the provider whose keys and issuer are given (when the stub itself is elsewhere).
   */
  public static String token(DevIssuer keys, String issuer, String tenant) {
    DevIssuer.Claims user = DevIssuer.Claims.user(tenant);
    return keys.mint(
        new DevIssuer.Claims(
            tenant,
            "service-account-" + tenant,
            user.roles(),
            issuer,
            AUDIENCE,
            user.issuedAt(),
            user.lifetime()));
  }

  private static void reply(com.sun.net.httpserver.HttpExchange exchange, String json)
      throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
