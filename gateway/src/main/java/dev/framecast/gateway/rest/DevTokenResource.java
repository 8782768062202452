package dev.framecast.gateway.rest;

import dev.framecast.common.errors.InvalidRequestException;
import dev.framecast.common.errors.PermissionDeniedException;
import dev.framecast.devissuer.DevIssuer;
import dev.framecast.gateway.GatewayConfig;
import io.grpc.Status;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code POST /v1/dev/token {"tenant":"acme"}}: a development token for the web page, in embedded
 * mode only and only for requests from this machine (loopback); everywhere else it does not exist
 * (404). It mints exactly what {@code ./framecast token} does; the admin role only when the gateway
 * was started with {@code framecast.embedded.dev-admin-tokens=true} (403 otherwise).
 */
@Path("/v1/dev/token")
public class DevTokenResource {
  private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Duration LIFETIME = Duration.ofHours(1);

  @Inject GatewayConfig config;

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @Produces(MediaType.APPLICATION_JSON)
  public String mint(String body, @Context HttpServerRequest request) throws IOException {
    boolean loopback =
        request.remoteAddress() != null
            && request.remoteAddress().hostAddress() != null
            && java.net.InetAddress.getByName(request.remoteAddress().hostAddress())
                .isLoopbackAddress();
    if (config.mode() != GatewayConfig.Mode.EMBEDDED || !loopback) {
      throw Status.NOT_FOUND.withDescription("no such resource").asRuntimeException();
    }
    com.google.protobuf.Struct.Builder json =
        Json.parse(body, com.google.protobuf.Struct.newBuilder());
    var tenantValue = json.getFieldsOrDefault("tenant", null);
    String tenant = tenantValue == null ? "" : tenantValue.getStringValue();
    if (!TENANT.matcher(tenant).matches()) {
      throw InvalidRequestException.of("tenant", "a tenant name is required, e.g. \"acme\"");
    }
    var adminValue = json.getFieldsOrDefault("admin", null);
    boolean admin = adminValue != null && adminValue.getBoolValue();
    if (admin && !config.embedded().devAdminTokens()) {
      throw new PermissionDeniedException(
          "DEV_ADMIN_TOKENS_OFF",
          "development tokens with the admin role are off; start the gateway with"
              + " framecast.embedded.dev-admin-tokens=true (./framecast serve --dev-admin-tokens)"
              + " to allow them");
    }
    DevIssuer issuer =
        DevIssuer.loadOrCreate(config.devIssuerDir().orElse(DevIssuer.defaultDirectory()));
    DevIssuer.Claims claims =
        DevIssuer.Claims.user(tenant)
            .withTimes(Instant.now(), LIFETIME)
            .withRoles(
                admin
                    ? List.of(DevIssuer.USER_ROLE, DevIssuer.ADMIN_ROLE)
                    : List.of(DevIssuer.USER_ROLE));
    return "{\"accessToken\":\""
        + issuer.mint(claims)
        + "\",\"tokenType\":\"Bearer\",\"expiresIn\":"
        + LIFETIME.toSeconds()
        + "}";
  }
}
