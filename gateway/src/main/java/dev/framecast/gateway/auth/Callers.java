package dev.framecast.gateway.auth;

import dev.framecast.common.Caller;
import dev.framecast.common.errors.PermissionDeniedException;
import dev.framecast.common.errors.UnauthenticatedException;
import dev.framecast.devissuer.DevIssuer;
import dev.framecast.gateway.GatewayConfig;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * The verified identity of a request as the scheduler's {@link Caller}: the tenant is the token's
 * tenant claim, the subject its {@code sub}, admin its framecast-admin role. Authentication and the
 * role check happened before (quarkus-oidc and {@code @RolesAllowed}); a valid token without a
 * tenant claim is PERMISSION_DENIED here, and an unknown tenant is PERMISSION_DENIED in the
 * scheduler, which owns the tenant list.
 */
@ApplicationScoped
public class Callers {
  public static final String USER = DevIssuer.USER_ROLE;
  public static final String ADMIN = DevIssuer.ADMIN_ROLE;

  private final String tenantClaim;

  public Callers(GatewayConfig config) {
    this.tenantClaim = config.oidc().tenantClaim();
  }

  public Caller of(SecurityIdentity identity) {
    if (identity == null
        || identity.isAnonymous()
        || !(identity.getPrincipal() instanceof JsonWebToken token)) {
      throw new UnauthenticatedException("a bearer token is required (Authorization: Bearer ...)");
    }
    if (!identity.hasRole(USER) && !identity.hasRole(ADMIN)) {
      throw new PermissionDeniedException(
          "ROLE_REQUIRED",
          "the token carries neither the framecast-user nor the framecast-admin role");
    }
    Object claim = token.getClaim(tenantClaim);
    String tenant =
        claim instanceof jakarta.json.JsonString json
            ? json.getString().trim()
            : claim == null ? "" : claim.toString().trim();
    if (tenant.isEmpty()) {
      throw new PermissionDeniedException(
          "NO_TENANT_CLAIM", "the token has no '" + tenantClaim + "' claim, so no tenant");
    }
    String subject = token.getSubject() == null ? "" : token.getSubject();
    return new Caller(tenant, subject, identity.hasRole(ADMIN));
  }
}
