package dev.framecast.gateway.rest;

import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.framecast.gateway.GatewayConfig;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.Locale;

/**
 * {@code GET /v1/auth/config}, public: how the web page gets a token from this gateway. Embedded
 * mode: development tokens ({@code POST /v1/dev/token}). Distributed mode: the issuer whose tokens
 * the gateway accepts and the public client to sign people in with (authorization code + PKCE).
 *
 * <p>The issuer is given only in distributed mode: in the other modes the gateway does not trust
 * it, and a page that signed in there would hold tokens every call refuses.
 */
@Path("/v1/auth/config")
public class AuthConfigResource {
  @Inject GatewayConfig config;

  @GET
  @Produces(MediaType.APPLICATION_JSON)
  public String get() {
    GatewayConfig.Mode mode = config.mode();
    Value issuer =
        config
            .oidc()
            .issuer()
            .filter(value -> mode == GatewayConfig.Mode.DISTRIBUTED)
            .map(value -> Value.newBuilder().setStringValue(value).build())
            .orElse(Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build());
    Struct body =
        Struct.newBuilder()
            .putFields("mode", string(mode.name().toLowerCase(Locale.ROOT)))
            .putFields("issuer", issuer)
            .putFields("clientId", string(config.oidc().webClientId()))
            // The same condition as DevTokenResource, less the loopback check it makes per caller.
            .putFields(
                "devTokens",
                Value.newBuilder().setBoolValue(mode == GatewayConfig.Mode.EMBEDDED).build())
            .build();
    return Json.print(body);
  }

  private static Value string(String value) {
    return Value.newBuilder().setStringValue(value).build();
  }
}
