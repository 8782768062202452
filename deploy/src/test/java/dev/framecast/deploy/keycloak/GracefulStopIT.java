package dev.framecast.deploy.keycloak;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.ErrorInfo;
import com.sun.net.httpserver.HttpServer;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.GetJobRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.api.v1.WatchJobRequest;
import dev.framecast.devissuer.DevIssuer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Graceful stop everywhere (issue 17): with six jobs running, the gateway, then the scheduler, then
 * the inference node get SIGTERM, one after another, and each is started again. Each exits within
 * its grace period with 0 or the JVM's 143 and never by a crash (no {@code hs_err} file, no fatal
 * error in its log); clients following the jobs reconnect and see every event once, in order; every
 * job ends SUCCEEDED, and submitting again with the same idempotency keys creates no job.
 *
 * <p>Processes as {@code ./framecast} runs them, on free ports of 127.0.0.1: the node serving
 * {@code triton-models/}, the scheduler with its job store in an SQLite file (the same store code
 * PostgreSQL runs; the PostgreSQL crash and standby tests are the scheduler's), the gateway in
 * distributed mode trusting a local JWKS.
 */
class GracefulStopIT {
  /** Each process must be gone this long after SIGTERM (Kubernetes gives 30 s by default). */
  static final Duration GRACE = Duration.ofSeconds(30);

  static final int JOBS = 6;
  static final int STEPS = 100;

  @TempDir Path work;

  private final Path root =
      Path.of(System.getProperty("framecast.root", "..")).toAbsolutePath().normalize();
  private final Path logs = root.resolve("deploy/target/it-logs/graceful-stop");
  private final List<ManagedProcess> running = new CopyOnWriteArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private HttpServer jwks;
  private GatewayClient client;
  private ExecutorService followers;
  private int nodePort;
  private int schedulerPort;
  private int gatewayPort;
  private int gatewayManagementPort;
  private int nodeMetricsPort;
  private int schedulerMetricsPort;
  private String issuer;
  private String nodeClasspath;
  private String schedulerClasspath;
  private Path gatewayJar;

  @AfterEach
  void stopAll() {
    if (followers != null) {
      followers.shutdownNow();
    }
    if (client != null) {
      client.close();
    }
    for (ManagedProcess process : running) {
      process.close();
    }
    if (jwks != null) {
      jwks.stop(0);
    }
  }

  @Test
  void sigtermOnEachProcessWithSixJobsRunningLosesNothing() throws Exception {
    gatewayJar = root.resolve("gateway/target/quarkus-app/quarkus-run.jar");
    Platform.require(
        gatewayJar,
        "./mvnw -B -q -pl gateway -am install -DskipTests (the gateway's Quarkus fast-jar)");
    nodeClasspath = Platform.moduleClasspath(root, "inference-node");
    schedulerClasspath = Platform.moduleClasspath(root, "scheduler");
    int[] ports = Platform.freePorts(6);
    nodePort = ports[0];
    schedulerPort = ports[1];
    gatewayPort = ports[2];
    nodeMetricsPort = ports[3];
    schedulerMetricsPort = ports[4];
    gatewayManagementPort = ports[5];
    DevIssuer keys = DevIssuer.loadOrCreate(work.resolve("issuer"));
    jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    jwks.createContext("/jwks", exchange -> reply(exchange, keys.jwks()));
    jwks.start();
    issuer = "http://127.0.0.1:" + jwks.getAddress().getPort() + "/realms/framecast";

    ManagedProcess node = startNode(1);
    ManagedProcess scheduler = startScheduler(1);
    ManagedProcess gateway = startGateway(1);
    client = new GatewayClient(gatewayPort);

    List<String> tokens = List.of(token(keys, "acme"), token(keys, "globex"));
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < JOBS; i++) {
      jobs.add(client.as(tokens.get(i % 2)).submitJob(request(i)));
    }
    followers = Executors.newFixedThreadPool(JOBS);
    List<Follower> following = new ArrayList<>();
    List<CompletableFuture<Void>> ends = new ArrayList<>();
    for (int i = 0; i < JOBS; i++) {
      Follower follower = new Follower(tokens.get(i % 2), jobs.get(i).getId());
      following.add(follower);
      ends.add(CompletableFuture.runAsync(follower, followers));
    }
    assertThat(
            Waits.until(
                Duration.ofSeconds(120), () -> following.stream().allMatch(f -> f.progressed())))
        .as("every job is denoising: %s", following)
        .isTrue();

    // The gateway: readiness DOWN at once, then (after its 2 s delay) every stream asked to
    // reconnect, then gone.
    Instant signalled = Instant.now();
    gateway.signalTerm();
    assertThat(Waits.until(Duration.ofSeconds(2), () -> status("/q/health/ready") == 503))
        .as("readiness reports DOWN while the gateway drains")
        .isTrue();
    stopped(gateway, signalled);
    assertThat(gateway.logText()).contains("event stream(s) to reconnect");
    gateway = startGateway(2);
    assertThat(
            Waits.until(
                Duration.ofSeconds(60),
                () -> following.stream().allMatch(f -> f.resumedAfterGateway())))
        .as("every follower was told to reconnect and did: %s", following)
        .isTrue();

    // The scheduler: gives its lease up and exits; its successor takes every job back.
    signalled = Instant.now();
    scheduler.signalTerm();
    stopped(scheduler, signalled);
    // Logged from the signal's drain, before the JVM's hooks reset java.util.logging.
    assertThat(scheduler.logText())
        .contains("SIGTERM: stopping the scheduler")
        .contains("event stream(s) to reconnect");
    scheduler = startScheduler(2);

    // Every follower was told by the scheduler (through the gateway) where to resume, rather than
    // seeing its stream reset.
    assertThat(
            Waits.until(
                Duration.ofSeconds(30),
                () ->
                    following.stream()
                        .allMatch(
                            f ->
                                f.reconnects.stream()
                                    .anyMatch(r -> r.contains("the scheduler is stopping")))))
        .as("every follower's stream was ended by the stopping scheduler: %s", following)
        .isTrue();

    // The node: drains, then frees ONNX Runtime; the scheduler waits for a ready node again.
    assertThat(
            Waits.until(
                Duration.ofSeconds(120),
                () ->
                    following.stream()
                        .anyMatch(f -> f.progressedSince(Instant.now().minusSeconds(3)))))
        .as("denoising resumed after the scheduler restarted: %s", following)
        .isTrue();
    signalled = Instant.now();
    node.signalTerm();
    stopped(node, signalled);
    node = startNode(2);

    CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
    for (int i = 0; i < JOBS; i++) {
      Follower follower = following.get(i);
      List<JobEvent> events = follower.events;
      for (int k = 0; k < events.size(); k++) {
        assertThat(events.get(k).getSeq())
            .as("job %s event %d", follower.jobId, k)
            .isEqualTo(k + 1L);
      }
      assertThat(events).last().matches(JobEvent::hasCompleted, "completed");
      Job job =
          client
              .as(tokens.get(i % 2))
              .getJob(GetJobRequest.newBuilder().setJobId(follower.jobId).build());
      assertThat(job.getState()).isEqualTo(JobState.SUCCEEDED);
      assertThat(job.getLastSeq()).isEqualTo(events.get(events.size() - 1).getSeq());
      // The same key again: the same job, no new one.
      assertThat(client.as(tokens.get(i % 2)).submitJob(request(i)).getId())
          .isEqualTo(follower.jobId);
    }
    try (Stream<Path> files = Files.walk(work)) {
      assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("hs_err")))
          .as("JVM crash reports")
          .isEmpty();
    }
  }

  private static GenerateRequest request(int i) {
    String[] prompts = {
      "a red circle moving right", "a blue square moving left", "a green circle moving up",
    };
    return GenerateRequest.newBuilder()
        .setPrompt(prompts[i % prompts.length])
        .setSteps(STEPS)
        .setSeed(100 + i)
        .setIdempotencyKey("graceful-stop-" + i)
        .build();
  }

  private String token(DevIssuer keys, String tenant) {
    DevIssuer.Claims user = DevIssuer.Claims.user(tenant);
    return keys.mint(
        new DevIssuer.Claims(
            tenant,
            user.subject(),
            user.roles(),
            issuer,
            "framecast",
            Instant.now(),
            Duration.ofHours(1)));
  }

  /** Waits for a signalled process to exit; 0 or 143 within the grace period, never a crash. */
  private void stopped(ManagedProcess process, Instant signalled) throws IOException {
    OptionalInt status = process.awaitExit(GRACE);
    assertThat(status).as("%s exited within %s of SIGTERM", process, GRACE).isPresent();
    assertThat(status.getAsInt())
        .as("%s's exit status; log:\n%s", process, process.logTail(40))
        .isIn(0, 143);
    String log = process.logText();
    assertThat(log).doesNotContain("A fatal error has been detected").doesNotContain("SIGSEGV");
    System.out.printf(
        "%s stopped %d ms after SIGTERM, status %d%n",
        process.name(), Duration.between(signalled, Instant.now()).toMillis(), status.getAsInt());
    running.remove(process);
  }

  private ManagedProcess startNode(int generation) {
    ManagedProcess node =
        start(
            "node-" + generation,
            Platform.nodeCommand(root, nodeClasspath, nodePort, nodeMetricsPort));
    Platform.await(node, "ServerReady", () -> Platform.nodeReady(root, nodePort));
    return node;
  }

  private ManagedProcess startScheduler(int generation) {
    ManagedProcess scheduler =
        start(
            "scheduler-" + generation,
            Platform.schedulerCommand(
                root,
                schedulerClasspath,
                schedulerPort,
                schedulerMetricsPort,
                nodePort,
                "--clips",
                work.resolve("clips").toString(),
                "--database",
                "jdbc:sqlite:" + work.resolve("jobs.db")));
    Platform.await(scheduler, "its gRPC port", () -> Platform.listening(schedulerPort));
    return scheduler;
  }

  private ManagedProcess startGateway(int generation) {
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                Platform.java(),
                "-Xmx512m",
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + gatewayPort,
                "-Dquarkus.management.host=127.0.0.1",
                "-Dquarkus.management.port=" + gatewayManagementPort,
                "-Dquarkus.shutdown.delay=2s",
                "-Dframecast.mode=distributed",
                "-Dframecast.distributed.scheduler=127.0.0.1:" + schedulerPort,
                "-Dframecast.oidc.issuer=" + issuer,
                "-Dframecast.oidc.jwks-url=" + issuer.replace("/realms/framecast", "/jwks")));
    command.addAll(Platform.gatewayTls(root));
    command.addAll(List.of("-jar", gatewayJar.toString()));
    ManagedProcess gateway = start("gateway-" + generation, command);
    Platform.await(gateway, "/q/health/ready", () -> status("/q/health/ready") == 200);
    return gateway;
  }

  private ManagedProcess start(String name, List<String> command) {
    ManagedProcess process = ManagedProcess.start(name, command, work, Map.of(), logs);
    running.add(process);
    return process;
  }

  private int status(String path) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayManagementPort + path))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException notListening) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static void reply(com.sun.net.httpserver.HttpExchange exchange, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /**
   * A client following one job as a team's program would: WatchJob, and on UNAVAILABLE (or a stream
   * that ends before the job) again with after_seq = the last seq it saw.
   */
  private final class Follower implements Runnable {
    final String token;
    final String jobId;
    final List<JobEvent> events = new CopyOnWriteArrayList<>();
    final List<String> reconnects = new CopyOnWriteArrayList<>();
    private volatile Instant lastProgress = Instant.EPOCH;
    private volatile boolean resumedAfterGateway;
    private volatile Throwable failure;

    Follower(String token, String jobId) {
      this.token = token;
      this.jobId = jobId;
    }

    boolean progressed() {
      return lastProgress.isAfter(Instant.EPOCH);
    }

    boolean progressedSince(Instant since) {
      return lastProgress.isAfter(since);
    }

    /** Told by the gateway to reconnect, and has read an event since. */
    boolean resumedAfterGateway() {
      return resumedAfterGateway;
    }

    @Override
    public String toString() {
      return jobId
          + ": "
          + events.size()
          + " events (last "
          + (events.isEmpty() ? "none" : events.get(events.size() - 1).getEventCase())
          + "), reconnects "
          + reconnects
          + (failure == null ? "" : ", failed: " + failure);
    }

    @Override
    public void run() {
      try {
        follow();
      } catch (RuntimeException | Error e) {
        failure = e;
        throw e;
      }
    }

    private void follow() {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(8);
      boolean toldToReconnect = false;
      while (System.nanoTime() < deadline) {
        long after = events.isEmpty() ? 0 : events.get(events.size() - 1).getSeq();
        try {
          Iterator<JobEvent> stream =
              client
                  .as(token, Duration.ofMinutes(8))
                  .watchJob(
                      WatchJobRequest.newBuilder().setJobId(jobId).setAfterSeq(after).build());
          while (stream.hasNext()) {
            JobEvent event = stream.next();
            events.add(event);
            if (toldToReconnect) {
              resumedAfterGateway = true;
            }
            if (event.hasProgress()) {
              lastProgress = Instant.now();
            }
            if (event.hasCompleted() || event.hasFailed() || event.hasCancelled()) {
              return;
            }
          }
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
            throw e;
          }
          String reason = reason(e);
          reconnects.add(reason);
          if (reason.startsWith("GATEWAY_STOPPING:")) {
            toldToReconnect = true;
          }
        }
        Waits.sleep(Duration.ofMillis(250));
      }
      throw new AssertionError("job " + jobId + " did not end in time; events: " + events.size());
    }
  }

  private static String reason(StatusRuntimeException e) {
    String reason = "";
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    if (status != null) {
      for (var detail : status.getDetailsList()) {
        if (detail.is(ErrorInfo.class)) {
          try {
            reason = detail.unpack(ErrorInfo.class).getReason() + ": ";
          } catch (com.google.protobuf.InvalidProtocolBufferException malformed) {
            reason = "malformed ErrorInfo: ";
          }
        }
      }
    }
    return reason + e.getStatus().getDescription();
  }
}
