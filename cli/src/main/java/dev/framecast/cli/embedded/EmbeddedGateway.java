package dev.framecast.cli.embedded;

import dev.framecast.cli.CliException;
import dev.framecast.cli.client.ServerAddress;
import dev.framecast.devissuer.DevIssuer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The gateway in embedded mode (inference node + scheduler in its process, the real ONNX models on
 * the CPU) as a child process, for demo and eval: started on a free loopback port with a private
 * development issuer, waited on until {@code /q/health/ready} answers 200, and stopped by {@link
 * #close} or, on Ctrl-C and any other exit, by a shutdown hook. Its output goes to a log tail kept
 * for error messages (and to stderr with {@code verbose}).
 */
public final class EmbeddedGateway implements AutoCloseable {
  /** How long a starting gateway may take: a cold JVM loading three ONNX models on two cores. */
  public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(180);

  static final Duration POLL = Duration.ofMillis(250);
  static final Duration STOP_GRACE = Duration.ofSeconds(10);
  static final int LOG_TAIL_LINES = 40;

  /**
   * How to start it.
   *
   * @param jar gateway/target/quarkus-app/quarkus-run.jar
   * @param modelRepository the Triton model repository the embedded node serves
   * @param verbose copy the gateway's output to stderr
   * @param readyTimeout how long to wait for readiness
   * @param settings more gateway settings, as environment variables (e.g. FRAMECAST_EMBEDDED_NODES
   *     for the load test's simulated fleet); they override the defaults above
   * @param jvmOptions options for the gateway's JVM (e.g. -Xmx)
   * @param jobStore whether the embedded scheduler keeps its jobs in a job store (SQLite, in this
   *     gateway's temporary directory, gone when it stops) as {@code ./framecast serve} does, or in
   *     memory only (the load test, whose figures compare schedulers, not stores)
   */
  public record Options(
      Path jar,
      Path modelRepository,
      boolean verbose,
      Duration readyTimeout,
      Map<String, String> settings,
      List<String> jvmOptions,
      boolean jobStore) {
    public Options {
      settings = Map.copyOf(settings);
      jvmOptions = List.copyOf(jvmOptions);
    }

    /** Options without a job store. */
    public Options(
        Path jar,
        Path modelRepository,
        boolean verbose,
        Duration readyTimeout,
        Map<String, String> settings,
        List<String> jvmOptions) {
      this(jar, modelRepository, verbose, readyTimeout, settings, jvmOptions, false);
    }

    public Options(Path jar, Path modelRepository, boolean verbose, Duration readyTimeout) {
      this(jar, modelRepository, verbose, readyTimeout, Map.of(), List.of());
    }
  }

  private final Process process;
  private final int port;
  private final int managementPort;
  private final Path issuerDir;
  private final LogTail log;
  private final Thread hook;

  private EmbeddedGateway(
      Process process, int port, int managementPort, Path issuerDir, LogTail log, Thread hook) {
    this.process = process;
    this.port = port;
    this.managementPort = managementPort;
    this.issuerDir = issuerDir;
    this.log = log;
    this.hook = hook;
  }

  /** Starts the gateway and returns once it is ready; fails with its log tail if it is not. */
  /**
   * What demo and eval do: says so on {@code err}, then starts the gateway with the default
   * readiness timeout and its job store in its temporary directory.
   */
  public static EmbeddedGateway start(
      Path jar, Path modelRepository, boolean verbose, PrintStream err)
      throws CliException, InterruptedException {
    err.println("Starting the embedded gateway (inference node + scheduler) ...");
    return start(
        new Options(
            jar, modelRepository, verbose, DEFAULT_READY_TIMEOUT, Map.of(), List.of(), true),
        err);
  }

  public static EmbeddedGateway start(Options options, PrintStream err)
      throws CliException, InterruptedException {
    if (!Files.isRegularFile(options.jar())) {
      throw CliException.usage(
          "the gateway is not built ("
              + options.jar()
              + " is missing): run through ./framecast, which builds it, or ./mvnw -pl gateway"
              + " -am -DskipTests install");
    }
    if (!Files.isDirectory(options.modelRepository())) {
      throw CliException.usage(
          "model repository not found: "
              + options.modelRepository().toAbsolutePath()
              + " (pass --model-repository)");
    }
    Path issuerDir;
    int port;
    int managementPort;
    try {
      issuerDir = Files.createTempDirectory("framecast-embedded-issuer-");
      // Both held open while chosen, so they differ.
      try (ServerSocket one = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
          ServerSocket two = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = one.getLocalPort();
        managementPort = two.getLocalPort();
      }
    } catch (IOException e) {
      throw CliException.usage("cannot prepare the embedded gateway: " + e.getMessage());
    }
    LogTail log = new LogTail(LOG_TAIL_LINES, options.verbose() ? err : null);
    Process process;
    try {
      ProcessBuilder builder = new ProcessBuilder(command(options)).redirectErrorStream(true);
      builder.environment().putAll(environment(options, port, managementPort, issuerDir));
      process = builder.start();
    } catch (IOException e) {
      deleteTree(issuerDir);
      throw CliException.server("cannot start the gateway: " + e.getMessage());
    }
    log.follow(process.getInputStream());
    Thread hook = new Thread(() -> stop(process), "stop-embedded-gateway");
    Runtime.getRuntime().addShutdownHook(hook);
    EmbeddedGateway gateway =
        new EmbeddedGateway(process, port, managementPort, issuerDir, log, hook);
    try {
      gateway.awaitReady(options.readyTimeout());
      return gateway;
    } catch (CliException | InterruptedException | RuntimeException e) {
      gateway.close();
      throw e;
    }
  }

  static List<String> command(Options options) {
    List<String> command = new java.util.ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // A crash report goes to the temporary directory, not the working directory (the checkout).
    command.add(
        "-XX:ErrorFile="
            + Path.of(System.getProperty("java.io.tmpdir"), "framecast-gateway-hs_err_pid%p.log"));
    command.addAll(options.jvmOptions());
    command.add("-jar");
    command.add(options.jar().toAbsolutePath().toString());
    return command;
  }

  /**
   * The gateway's settings, as environment variables rather than -D properties: Quarkus refuses to
   * start on a -D property under framecast.* that it does not map, while an environment name
   * matches the property whichever way its dots and dashes are spelled, so the CLI does not break
   * when the gateway renames a key's segments.
   */
  static Map<String, String> environment(
      Options options, int port, int managementPort, Path issuerDir) {
    Map<String, String> env = new LinkedHashMap<>();
    // Loopback only: this gateway trusts tokens from a key that sits in a temporary directory.
    env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
    env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
    // Health and metrics on a port of their own, also loopback only.
    env.put("QUARKUS_MANAGEMENT_HOST", "127.0.0.1");
    env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort));
    env.put("FRAMECAST_MODE", "embedded");
    env.put(
        "FRAMECAST_EMBEDDED_MODEL_REPOSITORY",
        options.modelRepository().toAbsolutePath().toString());
    env.put("FRAMECAST_DEV_ISSUER_DIR", issuerDir.toAbsolutePath().toString());
    if (options.jobStore()) {
      // The same embedded store as ./framecast serve's, in the temporary directory that goes
      // when this gateway stops: a one-shot run keeps nothing, but runs the path users run.
      env.put("FRAMECAST_EMBEDDED_DATA_DIR", issuerDir.resolve("data").toAbsolutePath().toString());
    }
    env.putAll(options.settings());
    return env;
  }

  /** A port free a moment ago. Another process could take it first; then startup fails clearly. */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private void awaitReady(Duration timeout) throws CliException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest ready =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/q/health/ready"))
            .timeout(Duration.ofSeconds(5))
            .GET()
            .build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (!process.isAlive()) {
        log.drain(Duration.ofSeconds(2));
        throw CliException.server(
            "the gateway exited with code "
                + process.exitValue()
                + " while starting; its last lines:\n"
                + log.tail());
      }
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw CliException.server(
            "the gateway was not ready within "
                + timeout.toSeconds()
                + "s; its last lines:\n"
                + log.tail());
      }
      Thread.sleep(POLL.toMillis());
    }
  }

  /** The gateway's process (its CPU time is part of what load tests measure). */
  public ProcessHandle process() {
    return process.toHandle();
  }

  public ServerAddress address() {
    return new ServerAddress("127.0.0.1", port, false);
  }

  /** A token this gateway trusts: signed with its private development issuer's key. */
  public String mintToken(String tenant) throws IOException {
    return DevIssuer.loadOrCreate(issuerDir).mint(DevIssuer.Claims.user(tenant));
  }

  /** A token for {@code tenant}, as a CLI error when the key cannot be read or made. */
  public String token(String tenant) throws CliException {
    try {
      return mintToken(tenant);
    } catch (IOException e) {
      throw CliException.server("cannot mint a token for the embedded gateway: " + e.getMessage());
    }
  }

  /** The gateway's last lines of output. */
  public String logTail() {
    return log.tail();
  }

  /** Stops the gateway (SIGTERM, then SIGKILL after a grace period) and removes its key. */
  @Override
  public void close() {
    stop(process);
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // Already shutting down: the hook is running or ran, and stops the same process.
    }
    deleteTree(issuerDir);
  }

  private static void stop(Process process) {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(STOP_GRACE.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(STOP_GRACE.toSeconds(), TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Deletes a directory and everything in it, as far as it can (leftovers are not worth failing
   * for).
   */
  public static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A leftover temporary directory is not worth failing the command for.
    }
  }
}
