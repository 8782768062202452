package dev.framecast.scheduler.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.scheduler.Renderers;
import dev.framecast.scheduler.SchedulerServer;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two schedulers on one job store, as the Kubernetes Deployment runs them: each serves its metrics
 * and probes from the start, so a standby is a healthy, ready member (Kubernetes can roll and drain
 * the pair) that reports {@code framecast_scheduler_leader 0} and answers 503 on {@code /leader};
 * when the leader stops, the standby leads and the gauge and {@code /leader} follow.
 */
class LeadershipProbeTest {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path dir;

  @Test
  void aStandbyIsReadyButNotLeaderUntilItTakesTheLease() throws Exception {
    SchedulerServer.Database database = TestDatabases.sqlite(dir);
    Path repository = Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
    try (InferenceNode node =
        InferenceNode.start(
            NodeOptions.builder(repository).host("127.0.0.1").port(0).metricsPort(-1).build())) {
      int firstPort = freePort();
      int secondPort = freePort();
      SchedulerServer first =
          new SchedulerServer(options(node, database, firstPort), Renderers.standard());
      CompletableFuture<SchedulerServer> second = null;
      try {
        first.serve(NettyServerBuilder.forPort(0));
        assertThat(get(firstPort, "/leader")).isEqualTo("200 leader");
        assertThat(get(firstPort, "/readyz")).isEqualTo("200 leader");
        assertThat(get(firstPort, "/metrics")).contains("framecast_scheduler_leader 1.0");

        second =
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return new SchedulerServer(
                            options(node, database, secondPort), Renderers.standard())
                        .serve(NettyServerBuilder.forPort(0));
                  } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                });
        assertThat(awaitBody(secondPort, "/readyz", "200 standby")).isTrue();
        assertThat(get(secondPort, "/livez")).isEqualTo("200 standby");
        assertThat(get(secondPort, "/leader")).isEqualTo("503 standby");
        assertThat(get(secondPort, "/metrics")).contains("framecast_scheduler_leader 0.0");
        assertThat(get(secondPort, "/nothing")).startsWith("404");
        assertThat(second).isNotDone();

        first.close();
        SchedulerServer leader = second.get(30, TimeUnit.SECONDS);
        try {
          assertThat(get(secondPort, "/leader")).isEqualTo("200 leader");
          assertThat(get(secondPort, "/metrics")).contains("framecast_scheduler_leader 1.0");
          assertThat(get(firstPort, "/livez")).as("a stopped scheduler").isEqualTo("unreachable");
        } finally {
          leader.close();
        }
      } finally {
        first.close();
        if (second != null && !second.isDone()) {
          second.cancel(true);
        }
      }
    }
  }

  private SchedulerServer.Options options(
      InferenceNode node, SchedulerServer.Database database, int metricsPort) {
    return new SchedulerServer.Options(
        List.of("127.0.0.1:" + node.port()),
        List.of(PipelineSpec.reference()),
        null,
        dir.resolve("clips"),
        Duration.ofDays(7),
        EngineConfig.defaults(),
        1,
        database,
        metricsPort);
  }

  /** "STATUS BODY" (body trimmed), or "unreachable". */
  private static String get(int port, String path) throws InterruptedException {
    try {
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return response.statusCode() + " " + response.body().trim();
    } catch (IOException e) {
      return "unreachable";
    }
  }

  private static boolean awaitBody(int port, String path, String expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (get(port, path).equals(expected)) {
        return true;
      }
      Thread.sleep(100);
    }
    return false;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
