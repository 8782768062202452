package dev.framecast.gateway;

import com.sun.net.httpserver.HttpServer;
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
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
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
  private HttpServer oidc;

  @Override
  public Map<String, String> start() {
    try {
      DevIssuer keys = DevIssuer.loadOrCreate(ISSUER_DIR);
      oidc = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      String issuer = "http://127.0.0.1:" + oidc.getAddress().getPort() + "/realms/framecast";
      oidc.createContext(
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
      oidc.createContext(
          "/realms/framecast/protocol/openid-connect/certs",
          exchange -> reply(exchange, keys.jwks()));
      oidc.start();
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
          "framecast-gateway");
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the distributed platform", e);
    }
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

  /** A token the stub provider issued: its key, its issuer, the gateway's audience. */
  static String token(String tenant) {
    try {
      DevIssuer.Claims user = DevIssuer.Claims.user(tenant);
      return DevIssuer.loadOrCreate(ISSUER_DIR)
          .mint(
              new DevIssuer.Claims(
                  tenant,
                  "service-account-" + tenant,
                  user.roles(),
                  issuerUrl,
                  "framecast-gateway",
                  user.issuedAt(),
                  user.lifetime()));
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
      oidc.stop(0);
    }
  }
}
