package dev.framecast.gateway.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The gateway under test as a separate JVM ({@code java -Xmx1g -Dframecast.mode=distributed ...
 * -jar quarkus-run.jar}), and what can be read about it from outside: readiness, heap after a full
 * GC (jcmd), resident memory, threads and CPU time (/proc).
 */
final class GatewayProcess implements AutoCloseable {
  // G1 "used 123456K", ZGC "used 123M", Shenandoah "123456K used": the first one in the output.
  private static final Pattern HEAP_USED =
      Pattern.compile("used\\s+(\\d+)([KMG])\\b|\\b(\\d+)([KMG]) used");
  private static final long CLOCK_TICKS = 100; // USER_HZ on Linux

  final int port;
  final long pid;
  private final Process process;
  private final HttpClient http = HttpClient.newHttpClient();

  /** Health and metrics: the management port. */
  final int managementPort;

  private GatewayProcess(Process process, int port, int managementPort) {
    this.process = process;
    this.pid = process.pid();
    this.port = port;
    this.managementPort = managementPort;
  }

  /**
   * Starts the production gateway in distributed mode: the scheduler at {@code scheduler}
   * (host:port), tokens from the OIDC provider at {@code issuer}.
   */
  static GatewayProcess start(BenchOptions options, String issuer, String scheduler)
      throws IOException {
    int port;
    int managementPort;
    try (ServerSocket socket = new ServerSocket(0);
        ServerSocket management = new ServerSocket(0)) {
      port = socket.getLocalPort();
      managementPort = management.getLocalPort();
    }
    Files.createDirectories(options.out());
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + options.heap());
    command.add("-Xlog:gc:file=" + options.out().resolve("gateway-gc.log") + ":uptime,time");
    command.addAll(options.gatewayOptions());
    command.add("-Dframecast.mode=distributed");
    command.add("-Dframecast.distributed.scheduler=" + scheduler);
    // The simulated scheduler is a plaintext server on loopback.
    command.add("-Dframecast.distributed.insecure=true");
    command.add("-Dframecast.oidc.issuer=" + issuer);
    command.add("-Dframecast.oidc.audience=" + dev.framecast.gateway.OidcStub.AUDIENCE);
    command.add("-Dquarkus.http.host=127.0.0.1");
    command.add("-Dquarkus.http.port=" + port);
    command.add("-Dquarkus.management.host=127.0.0.1");
    command.add("-Dquarkus.management.port=" + managementPort);
    command.add("-jar");
    command.add(privateCopy(options.gatewayJar(), options.out()).toString());
    Path log = options.out().resolve("gateway.log");
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new GatewayProcess(process, port, managementPort);
  }

  /**
   * Runs a copy of the fast-jar's directory, so that a rebuild of the gateway while the benchmark
   * runs (others share the checkout) cannot pull classes from under the running JVM.
   */
  private static Path privateCopy(Path jar, Path out) throws IOException {
    Path from = jar.toAbsolutePath().getParent();
    Path to = out.toAbsolutePath().resolve("quarkus-app");
    if (Files.exists(to)) {
      try (Stream<Path> old = Files.walk(to)) {
        for (Path p : old.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : files.toList()) {
        Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    }
    return to.resolve(jar.getFileName().toString());
  }

  /** Waits for /q/health/ready to answer 200. */
  void awaitReady(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    HttpRequest ready =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/q/health/ready"))
            .timeout(Duration.ofSeconds(2))
            .build();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("the gateway exited with " + process.exitValue() + "; see its log");
      }
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IOException("the gateway was not ready within " + timeout);
  }

  /** Prometheus text from /q/metrics (the gateway's own view: open streams, its lag). */
  String metrics() throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/q/metrics"))
            .timeout(Duration.ofSeconds(30))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
  }

  /** Heap used after a full GC, in bytes ({@code jcmd GC.run}, then {@code GC.heap_info}). */
  long heapAfterFullGc() throws IOException, InterruptedException {
    jcmd("GC.run");
    String info = jcmd("GC.heap_info");
    Matcher m = HEAP_USED.matcher(info);
    if (!m.find()) {
      throw new IOException("cannot read jcmd GC.heap_info:\n" + info);
    }
    boolean before = m.group(1) != null;
    long value = Long.parseLong(before ? m.group(1) : m.group(3));
    String unit = before ? m.group(2) : m.group(4);
    return value << (unit.equals("K") ? 10 : unit.equals("M") ? 20 : 30);
  }

  private String jcmd(String command) throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p =
        new ProcessBuilder(jcmd.toString(), Long.toString(pid), command)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("jcmd " + command + " failed:\n" + out);
    }
    return out;
  }

  /** A field of /proc/PID/status in bytes (VmRSS, VmHWM) or as a count (Threads). */
  long status(String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith(field + ":")) {
        String[] parts = line.substring(field.length() + 1).trim().split("\\s+");
        long value = Long.parseLong(parts[0]);
        return parts.length > 1 && parts[1].equals("kB") ? value * 1024 : value;
      }
    }
    throw new IOException("no " + field + " in /proc/" + pid + "/status");
  }

  /** User + system CPU time the gateway has used so far. */
  Duration cpuTime() throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    // Fields after the command name, which is in parentheses and may contain spaces.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    return Duration.ofMillis(ticks * 1000 / CLOCK_TICKS);
  }

  /** CPU time every process on this machine has used since boot (/proc/stat, not idle). */
  static Duration machineBusy() throws IOException {
    String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long busy = 0;
    for (int i = 1; i < cpu.length && i <= 8; i++) {
      if (i != 4 && i != 5) { // idle, iowait
        busy += Long.parseLong(cpu[i]);
      }
    }
    return Duration.ofMillis(busy * 1000 / CLOCK_TICKS);
  }

  /** Asks the gateway to stop (SIGTERM), without waiting. */
  void destroy() {
    process.destroy();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
