package dev.framecast.gateway;

import dev.framecast.devissuer.DevIssuer;
import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.scheduler.Renderers;
import dev.framecast.scheduler.SchedulerServer;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

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
  private OidcStub oidc;

  @Override
  public Map<String, String> start() {
    try {
      oidc = OidcStub.start(ISSUER_DIR);
      String issuer = oidc.issuer();
      issuerUrl = issuer;

      Path repository =
          Path.of(System.getProperty("framecast.embedded.model-repository", "../triton-models"));
      node =
          InferenceNode.start(
              NodeOptions.builder(repository).host("127.0.0.1").port(0).metricsPort(-1).build());
      scheduler =
          new SchedulerServer(
                  new SchedulerServer.Options(
                      List.of("127.0.0.1:" + node.port()),
                      List.of(PipelineSpec.reference()),
                      Path.of("src/test/resources/tenants.yaml"),
                      Files.createTempDirectory("framecast-distributed-clips"),
                      Duration.ofHours(1),
                      EngineConfig.defaults(),
                      1),
                  Renderers.standard())
              .serve(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)));
      return Map.of(
          "framecast.mode",
          "distributed",
          "framecast.distributed.scheduler",
          "127.0.0.1:" + scheduler.port(),
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
    if (oidc != null) {
      oidc.close();
    }
  }
}
