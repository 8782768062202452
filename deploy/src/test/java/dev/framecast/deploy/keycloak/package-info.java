/**
 * The Keycloak integration test (failsafe, {@code *IT}): a real Keycloak from Maven Central with
 * {@code deploy/keycloak/framecast-realm.json}, an inference node, a scheduler and a gateway in
 * distributed mode, each its own process on free ports ({@link
 * dev.framecast.deploy.keycloak.Platform}), started once for every test class of this package by
 * {@link dev.framecast.deploy.keycloak.PlatformExtension} and stopped by process id afterwards.
 * Logs: {@code deploy/target/it-logs/}.
 */
package dev.framecast.deploy.keycloak;
