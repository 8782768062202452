package dev.framecast.gateway.auth;

import dev.framecast.devissuer.DevIssuer;
import dev.framecast.gateway.GatewayConfig;
import io.quarkus.oidc.OidcRequestContext;
import io.quarkus.oidc.OidcTenantConfig;
import io.quarkus.oidc.TenantConfigResolver;
import io.quarkus.oidc.runtime.OidcTenantConfig.ApplicationType;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.jboss.logging.Logger;

/**
 * How bearer tokens are verified, by mode. Embedded: signed by the local development issuer's key
 * (made on first start; {@code ./framecast token} mints with it), issuer {@code framecast-dev},
 * audience {@code framecast}; nothing else is trusted. Distributed: the configured OIDC provider
 * (Keycloak), its keys found by discovery or a configured JWKS URL, issuer and audience checked.
 * Both read roles from {@code realm_access.roles}, where Keycloak puts realm roles.
 *
 * <p>Built once, in code rather than {@code quarkus.oidc.*} properties, because the embedded key
 * exists only at run time and because one place should say what a valid token is.
 */
@ApplicationScoped
public class TokenVerification implements TenantConfigResolver {
  private static final Logger LOG = Logger.getLogger(TokenVerification.class);
  static final String ROLES = "realm_access/roles";

  private final OidcTenantConfig tenant;

  public TokenVerification(GatewayConfig config) {
    this.tenant =
        switch (config.mode()) {
          case EMBEDDED -> embedded(config);
          case DISTRIBUTED -> distributed(config.oidc());
        };
  }

  private static OidcTenantConfig embedded(GatewayConfig config) {
    DevIssuer issuer;
    try {
      issuer = DevIssuer.loadOrCreate(config.devIssuerDir().orElse(DevIssuer.defaultDirectory()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or make the development issuer's key", e);
    }
    LOG.info(
        "embedded mode: trusting tokens of the local development issuer only"
            + " (./framecast token --tenant acme)");
    return OidcTenantConfig.builder()
        .tenantId("framecast-dev")
        .applicationType(ApplicationType.SERVICE)
        .publicKey(issuer.publicKeyBase64())
        .token()
        .issuer(DevIssuer.ISSUER)
        .audience(DevIssuer.AUDIENCE)
        .end()
        .roles()
        .roleClaimPath(ROLES)
        .end()
        .build();
  }

  private static OidcTenantConfig distributed(GatewayConfig.Oidc oidc) {
    String issuer =
        oidc.issuer()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "distributed mode needs framecast.oidc.issuer (FRAMECAST_OIDC_ISSUER),"
                            + " e.g. https://keycloak.example.com/realms/framecast"));
    var builder =
        OidcTenantConfig.authServerUrl(issuer)
            .tenantId("framecast")
            .applicationType(ApplicationType.SERVICE);
    if (oidc.jwksUrl().isPresent()) {
      builder.discoveryEnabled(false).jwksPath(oidc.jwksUrl().get());
    }
    return builder
        .token()
        .issuer(issuer)
        .audience(oidc.audience())
        .forcedJwkRefreshInterval(oidc.jwksRefreshInterval())
        .end()
        .roles()
        .roleClaimPath(ROLES)
        .end()
        .build();
  }

  @Override
  public Uni<OidcTenantConfig> resolve(
      RoutingContext context, OidcRequestContext<OidcTenantConfig> requestContext) {
    return Uni.createFrom().item(tenant);
  }
}
