package dev.framecast.deploy.keycloak;

import dev.framecast.common.tls.TlsFiles;
import dev.framecast.common.tls.TransportSecurity;
import dev.framecast.devcerts.CertsMain;
import dev.framecast.inference.v2.GRPCInferenceServiceGrpc;
import dev.framecast.inference.v2.ServerReadyRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Framecast deployed as it runs for real, one process each on free ports of 127.0.0.1: Keycloak
 * with the realm, an inference node serving {@code triton-models/}, the scheduler over it, and the
 * gateway in distributed mode trusting the Keycloak realm. Keycloak starts first and comes up (tens
 * of seconds) while the node, the scheduler and the gateway start one after another.
 *
 * <p>The gateway is its Quarkus fast-jar and the node and scheduler run from their module's jar and
 * {@code target/classpath.txt}, the files {@code ./framecast} runs; the reactor builds them before
 * this module ({@code ./mvnw verify}), and {@code ./mvnw -pl deploy verify} needs them built.
 */
final class Platform implements AutoCloseable {
  static final Duration KEYCLOAK_READY = Duration.ofSeconds(180);
  static final Duration PROCESS_READY = Duration.ofSeconds(120);

  final Path root;
  final Path logs;
  final int keycloakPort;
  final int keycloakManagementPort;
  final int nodePort;
  final int nodeMetricsPort;
  final int schedulerPort;
  final int schedulerMetricsPort;
  final int gatewayPort;
  final int gatewayManagementPort;
  final Oidc oidc;
  final KeycloakAdmin keycloakAdmin;
  private final String adminPassword = java.util.UUID.randomUUID().toString();

  /** Started processes, in start order. */
  private final List<ManagedProcess> processes = Collections.synchronizedList(new ArrayList<>());

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Platform(Path root, Path logs, int[] ports) {
    this.root = root;
    this.logs = logs;
    this.keycloakPort = ports[0];
    this.keycloakManagementPort = ports[1];
    this.nodePort = ports[2];
    this.nodeMetricsPort = ports[3];
    this.schedulerPort = ports[4];
    this.schedulerMetricsPort = ports[5];
    this.gatewayPort = ports[6];
    this.gatewayManagementPort = ports[7];
    this.oidc = new Oidc("http://127.0.0.1:" + keycloakPort);
    this.keycloakAdmin = new KeycloakAdmin("http://127.0.0.1:" + keycloakPort, adminPassword);
  }

  /** Starts everything and waits until each part is ready; on failure stops what started. */
  static Platform start() {
    Path root = Path.of(System.getProperty("framecast.root", "..")).toAbsolutePath().normalize();
    Path logs = Path.of(System.getProperty("framecast.it-logs", root + "/deploy/target/it-logs"));
    Platform platform = new Platform(root, logs, freePorts(8));
    try {
      platform.startAll();
      return platform;
    } catch (RuntimeException | Error e) {
      platform.close();
      throw e;
    }
  }

  String issuer() {
    return oidc.issuer(Keycloak.REALM);
  }

  List<ManagedProcess> processes() {
    synchronized (processes) {
      return List.copyOf(processes);
    }
  }

  private void startAll() {
    Path gatewayJar = root.resolve("gateway/target/quarkus-app/quarkus-run.jar");
    require(
        gatewayJar,
        "./mvnw -B -q -pl gateway -am install -DskipTests (the gateway's Quarkus fast-jar)");
    String nodeClasspath = moduleClasspath(root, "inference-node");
    String schedulerClasspath = moduleClasspath(root, "scheduler");
    Path keycloakHome =
        Path.of(
            System.getProperty("keycloak.home", root + "/deploy/target/keycloak/keycloak-26.7.3"));

    ManagedProcess keycloak =
        track(
            Keycloak.start(
                keycloakHome,
                root.resolve("deploy/keycloak/framecast-realm.json"),
                keycloakPort,
                keycloakManagementPort,
                adminPassword,
                logs));
    ManagedProcess node = track(startNode(nodeClasspath));
    // The scheduler reads the pipelines' shapes from the node's model configs when it starts.
    await(node, "ServerReady", () -> nodeReady(root, nodePort));
    ManagedProcess scheduler = track(startScheduler(schedulerClasspath));
    await(
        scheduler,
        "its gRPC port and /metrics",
        () ->
            listening(schedulerPort)
                && httpOk("http://127.0.0.1:" + schedulerMetricsPort + "/metrics"));
    // Started before Keycloak is ready: the gateway fetches the realm's discovery document and
    // keys on the first request that carries a token, not at start.
    ManagedProcess gateway = track(startGateway(gatewayJar));
    await(
        gateway,
        "/q/health/ready",
        () -> httpOk("http://127.0.0.1:" + gatewayManagementPort + "/q/health/ready"));
    Keycloak.awaitReady(keycloak, keycloakManagementPort, KEYCLOAK_READY);
  }

  private ManagedProcess startNode(String classpath) {
    return ManagedProcess.start(
        "inference-node",
        nodeCommand(
            root,
            classpath,
            nodePort,
            nodeMetricsPort,
            // One failed DiT step, which the scheduler retries: the failure series exist for
            // ExportedMetricsIT, and every test runs on a platform that has recovered from one.
            "--fault-fail",
            "dit=1"),
        root,
        Map.of(),
        logs);
  }

  private ManagedProcess startScheduler(String classpath) {
    return ManagedProcess.start(
        "scheduler",
        schedulerCommand(
            root,
            classpath,
            schedulerPort,
            schedulerMetricsPort,
            nodePort,
            "--clips",
            root.resolve("deploy/target/it-clips").toString()),
        root,
        Map.of(),
        logs);
  }

  private static Path certificates;

  /**
   * The development CA and certificates {@code ./framecast certs} makes (in deploy/target/it-certs,
   * made once per test JVM): every process here talks mutual TLS, as deployed.
   */
  static synchronized Path certificates(Path root) {
    if (certificates == null) {
      Path dir = root.resolve("deploy/target/it-certs");
      try {
        CertsMain.write(dir, List.of("localhost", "127.0.0.1"), Duration.ofDays(2), true);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the test certificates in " + dir, e);
      }
      certificates = dir;
    }
    return certificates;
  }

  /** --tls-cert, --tls-key and --tls-ca for {@code service} (node, scheduler). */
  static List<String> tls(Path root, String service) {
    Path dir = certificates(root);
    return List.of(
        "--tls-cert",
        dir.resolve(service + ".pem").toString(),
        "--tls-key",
        dir.resolve(service + "-key.pem").toString(),
        "--tls-ca",
        dir.resolve("ca.pem").toString());
  }

  /** The distributed gateway's system properties for mutual TLS to the scheduler. */
  static List<String> gatewayTls(Path root) {
    Path dir = certificates(root);
    return List.of(
        "-Dframecast.distributed.tls-cert=" + dir.resolve("gateway.pem"),
        "-Dframecast.distributed.tls-key=" + dir.resolve("gateway-key.pem"),
        "-Dframecast.distributed.tls-ca=" + dir.resolve("ca.pem"));
  }

  /** An inference node serving {@code triton-models/} on 127.0.0.1, as ./framecast runs it. */
  static List<String> nodeCommand(
      Path root, String classpath, int port, int metricsPort, String... more) {
    List<String> command =
        new ArrayList<>(
            List.of(
                java(),
                "-Xmx1g",
                "-cp",
                classpath,
                "dev.framecast.node.NodeMain",
                "--model-repository",
                root.resolve("triton-models").toString(),
                "--host",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--metrics-port",
                Integer.toString(metricsPort)));
    command.addAll(tls(root, "node"));
    command.addAll(List.of(more));
    return command;
  }

  /** A scheduler over the node on {@code nodePort}, as ./framecast runs it. */
  static List<String> schedulerCommand(
      Path root, String classpath, int port, int metricsPort, int nodePort, String... more) {
    List<String> command =
        new ArrayList<>(
            List.of(
                java(),
                "-Xmx1g",
                "-cp",
                classpath,
                "dev.framecast.scheduler.SchedulerMain",
                "--port",
                Integer.toString(port),
                "--metrics-port",
                Integer.toString(metricsPort),
                "--nodes",
                "127.0.0.1:" + nodePort));
    command.addAll(tls(root, "scheduler"));
    command.addAll(List.of(more));
    return command;
  }

  /** The gateway as deployed: distributed mode, the realm as issuer, the default audience. */
  private ManagedProcess startGateway(Path jar) {
    List<String> command =
        new ArrayList<>(
            List.of(
                java(),
                "-Xmx512m",
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + gatewayPort,
                "-Dquarkus.management.host=127.0.0.1",
                "-Dquarkus.management.port=" + gatewayManagementPort,
                "-Dframecast.mode=distributed",
                "-Dframecast.distributed.scheduler=127.0.0.1:" + schedulerPort,
                "-Dframecast.oidc.issuer=" + issuer()));
    command.addAll(gatewayTls(root));
    command.addAll(List.of("-jar", jar.toString()));
    return ManagedProcess.start("gateway", command, root, Map.of(), logs);
  }

  private ManagedProcess track(ManagedProcess process) {
    processes.add(process);
    return process;
  }

  /** The inference node on {@code port} answers ServerReady with ready (asked as the scheduler). */
  static boolean nodeReady(Path root, int port) {
    Path dir = certificates(root);
    try (TransportSecurity scheduler =
        TransportSecurity.mutualTls(
            new TlsFiles(
                dir.resolve("scheduler.pem"),
                dir.resolve("scheduler-key.pem"),
                dir.resolve("ca.pem")),
            Duration.ofMinutes(1))) {
      return nodeReady(port, scheduler.channel(java.util.Set.of("framecast-node")));
    }
  }

  private static boolean nodeReady(int port, io.grpc.ChannelCredentials credentials) {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port, credentials).build();
    try {
      return GRPCInferenceServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(2, TimeUnit.SECONDS)
          .serverReady(ServerReadyRequest.getDefaultInstance())
          .getReady();
    } catch (StatusRuntimeException notYet) {
      return false;
    } finally {
      channel.shutdownNow();
    }
  }

  static boolean listening(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (IOException notYet) {
      return false;
    }
  }

  boolean httpOk(String url) {
    try {
      return http.send(
                  HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (IOException notYet) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** GET {@code url}'s body, 200 or failure. */
  String get(String url) {
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(url + " answered " + response.statusCode());
      }
      return response.body();
    } catch (IOException e) {
      throw new UncheckedIOException("GET " + url, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  static void await(ManagedProcess process, String what, java.util.function.BooleanSupplier ready) {
    boolean ok =
        Waits.until(
            PROCESS_READY,
            () -> {
              process.checkAlive();
              return ready.getAsBoolean();
            });
    if (!ok) {
      throw new IllegalStateException(
          process
              + " was not ready ("
              + what
              + ") within "
              + PROCESS_READY.toSeconds()
              + " s; last lines of its log:\n"
              + process.logTail(60));
    }
  }

  /** A module's jar and its runtime class path, as {@code ./framecast} runs it. */
  static String moduleClasspath(Path root, String module) {
    Path target = root.resolve(module).resolve("target");
    Path classpath = target.resolve("classpath.txt");
    String build = "./mvnw -B -q -pl " + module + " -am install -DskipTests";
    require(classpath, build);
    try (Stream<Path> files = Files.list(target)) {
      Path jar =
          files
              .filter(f -> f.getFileName().toString().startsWith(module + "-"))
              .filter(f -> f.getFileName().toString().endsWith(".jar"))
              .filter(f -> !f.getFileName().toString().matches(".*-(tests|sources|javadoc)\\.jar"))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "no " + module + " jar in " + target + ": " + build));
      return jar + java.io.File.pathSeparator + Files.readString(classpath).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void require(Path file, String build) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException(file + " is missing; build it first: " + build);
    }
  }

  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Distinct free ports: every socket is held until all are chosen. */
  static int[] freePorts(int count) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket(0);
        sockets.add(socket);
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("no free port", e);
    } finally {
      for (ServerSocket socket : sockets) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // Closing a listening socket that never accepted cannot lose anything.
        }
      }
    }
  }

  /**
   * Stops every process by its process id, with its descendants, all at once (each may take its
   * grace period to shut down cleanly; there is no order to respect between them at the end).
   */
  @Override
  public void close() {
    List<Thread> stopping = new ArrayList<>();
    for (ManagedProcess process : processes()) {
      Thread thread = new Thread(process::close, "stop-" + process.name());
      thread.start();
      stopping.add(thread);
    }
    for (Thread thread : stopping) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        // The shutdown hooks of the processes still stop them when this JVM exits.
        return;
      }
    }
    processes.clear();
  }
}
