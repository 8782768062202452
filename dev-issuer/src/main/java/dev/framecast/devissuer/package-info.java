/**
 * The development issuer of the embedded mode: {@link dev.framecast.devissuer.DevIssuer} keeps an
 * RSA key pair in a state directory (made on first use, owner-only) and signs RS256 JWTs carrying a
 * tenant and roles. The gateway trusts its public key only in embedded mode; production tokens come
 * from Keycloak.
 */
package dev.framecast.devissuer;
