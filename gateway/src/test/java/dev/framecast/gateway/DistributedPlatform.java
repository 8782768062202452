package dev.framecast.gateway;

import dev.framecast.common.tls.TestPki;
import dev.framecast.common.tls.TlsFiles;
import dev.framecast.common.tls.TransportSecurity;
import dev.framecast.devissuer.DevIssuer;
import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.scheduler.Renderers;
import dev.framecast.scheduler.SchedulerServer;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A distributed deployment around the gateway under test: an inference node and a scheduler serving
 * framecast.scheduler.v1 on a real port, and an OIDC provider that publishes a discovery document
 * and a JWKS over HTTP, as Keycloak does (its keys are a DevIssuer's, so the test can mint tokens
 * the provider "issued").
 */
public class DistributedPlatform implements QuarkusTestResourceLifecycleManager {
  static final Path ISSUER_DIR = Path.of("target/distributed-issuer");
  static volatile String issuerUrl;

  private InferenceNode node;
  private SchedulerServer scheduler;
  private TransportSecurity nodeSecurity;
  private TransportSecurity schedulerSecurity;
  private OidcStub oidc;

  @Override
  public Map<String, String> start() {
    try {
      oidc = OidcStub.start(ISSUER_DIR);
      String issuer = oidc.issuer();
      issuerUrl = issuer;

      Path repository =
          Path.of(System.getProperty("framecast.embedded.model-repository", "../triton-models"));
      // Every hop over mutual TLS, as in production: the gateway's certificate to the scheduler,
      // the scheduler's to the node.
      TestPki pki = new TestPki(Files.createTempDirectory("framecast-distributed-pki"));
      nodeSecurity =
          TransportSecurity.mutualTls(pki.issue("framecast-node"), Duration.ofSeconds(30));
      schedulerSecurity =
          TransportSecurity.mutualTls(pki.issue("framecast-scheduler"), Duration.ofSeconds(30));
      TlsFiles gateway = pki.issue("framecast-gateway");
      node =
          InferenceNode.start(
              NodeOptions.builder(repository).host("127.0.0.1").port(0).metricsPort(-1).build(),
              nodeSecurity.server(
                  new InetSocketAddress("127.0.0.1", 0),
                  "the node",
                  Set.of("framecast-scheduler")));
      scheduler =
          new SchedulerServer(
                  new SchedulerServer.Options(
                      List.of("127.0.0.1:" + node.port()),
                      List.of(PipelineSpec.reference()),
                      Path.of("src/test/resources/tenants.yaml"),
                      Files.createTempDirectory("framecast-distributed-clips"),
                      Duration.ofHours(1),
                      EngineConfig.defaults(),
                      1,
                      null,
                      -1,
                      schedulerSecurity.channel(Set.of("framecast-node"))),
                  Renderers.standard())
              .serve(
                  schedulerSecurity.server(
                      new InetSocketAddress("127.0.0.1", 0),
                      "the scheduler",
                      Set.of("framecast-gateway")));
      return Map.of(
          "framecast.mode",
          "distributed",
          "framecast.distributed.scheduler",
          "127.0.0.1:" + scheduler.port(),
          "framecast.distributed.tls-cert",
          gateway.certificate().toString(),
          "framecast.distributed.tls-key",
          gateway.privateKey().toString(),
          "framecast.distributed.tls-ca",
          gateway.trustedCas().toString(),
          "framecast.oidc.issuer",
          issuer,
          "framecast.oidc.audience",
          OidcStub.AUDIENCE);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the distributed platform", e);
    }
  }

  /** A token the stub provider issued: its key, its issuer, the gateway's audience. */
  static String token(String tenant) {
    try {
      return OidcStub.token(DevIssuer.loadOrCreate(ISSUER_DIR), issuerUrl, tenant);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void stop() {
    if (scheduler != null) {
      scheduler.close();
    }
    if (node != null) {
      node.close();
    }
    if (schedulerSecurity != null) {
      schedulerSecurity.close();
    }
    if (nodeSecurity != null) {
      nodeSecurity.close();
    }
    if (oidc != null) {
      oidc.close();
    }
  }
}
