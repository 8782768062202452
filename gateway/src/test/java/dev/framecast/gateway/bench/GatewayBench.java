package dev.framecast.gateway.bench;

import dev.framecast.api.v1.Job;
import dev.framecast.devissuer.DevIssuer;
import dev.framecast.gateway.OidcStub;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * The gateway's stream benchmark ({@code ./framecast bench gateway}): how many concurrent WatchJob
 * streams one gateway holds in front of a fast simulated scheduler ({@link SimulatedScheduler}, in
 * this JVM; the gateway in distributed mode, as deployed), its heap and resident memory while it
 * holds them, and the lag from an event's timestamp to its arrival at the client.
 *
 * <p>Phases: start the gateway in its own JVM; submit the jobs; open the streams; warm up; measure
 * lag for the window (printing every 10 s); with every stream still open, force a full GC and read
 * the heap and RSS; cancel the streams and read the heap again (the difference is what the streams
 * themselves hold); stop the gateway. Client and gateway share this machine's cores, so the client
 * competes with the gateway for CPU; the table says how much CPU each used.
 */
public final class GatewayBench {
  /** Threads of the simulated scheduler that drain event logs into its Watch streams. */
  private static final int SCHEDULER_STREAM_THREADS = 2;

  private static final Pattern OPEN_STREAMS =
      Pattern.compile("framecast_gateway_open_streams\\{[^}]*transport=\"grpc\"[^}]*\\} (\\S+)");
  private static final Duration REPORT_EVERY = Duration.ofSeconds(10);
  static final long OPEN_TIMEOUT = 300;

  private GatewayBench() {}

  public static void main(String[] args) throws Exception {
    BenchOptions options;
    try {
      options =
          BenchOptions.parse(args, Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath());
    } catch (BenchOptions.UsageException e) {
      if (e.getMessage() != null) {
        System.err.println("framecast bench gateway: " + e.getMessage());
      }
      System.err.print(BenchOptions.USAGE);
      System.exit(e.getMessage() == null ? 0 : 2);
      return;
    }
    Files.createDirectories(options.out());
    List<String> tenants = new ArrayList<>();
    for (int i = 0; i < options.tenants(); i++) {
      tenants.add("bench-" + i);
    }
    Map<String, String> tokens = new LinkedHashMap<>();
    Report report = new Report(options);
    GatewayProcess gateway = null;
    OidcStub oidc = null;
    SimulatedScheduler scheduler = null;
    try {
      String host = "127.0.0.1";
      int port;
      if (options.target() == null) {
        // The production gateway in distributed mode, in front of a simulated scheduler served
        // from this JVM, with tokens from a stub OIDC provider: no fake code in the gateway.
        oidc = OidcStub.start(options.out().resolve("oidc-keys").toAbsolutePath());
        for (String tenant : tenants) {
          tokens.put(tenant, oidc.token(tenant));
        }
        scheduler =
            SimulatedScheduler.start(
                new SimulatedBackend(
                    new SimulatedBackend.Settings(
                        options.stepInterval(),
                        24,
                        Math.max(10_000, options.stepsPerJob()),
                        Math.max(5_000, options.jobs() * 2),
                        Duration.ofMinutes(5),
                        4096,
                        16L << 20,
                        false,
                        SCHEDULER_STREAM_THREADS),
                    Clock.systemUTC()));
        say(
            "starting the gateway: -Xmx%s, distributed mode, simulated scheduler at %s (events"
                + " every %d ms); log in %s",
            options.heap(),
            scheduler.address(),
            options.stepInterval().toMillis(),
            options.out().resolve("gateway.log"));
        gateway = GatewayProcess.start(options, oidc.issuer(), scheduler.address());
        GatewayProcess started = gateway;
        // Killed or interrupted (Ctrl-C), the benchmark still stops the gateway it started.
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroy));
        gateway.awaitReady(Duration.ofSeconds(120));
        port = gateway.port;
        report.heapIdle = gateway.heapAfterFullGc();
        report.rssIdle = gateway.status("VmRSS");
      } else {
        // A gateway started elsewhere in embedded mode, trusting this development issuer.
        DevIssuer issuer =
            DevIssuer.loadOrCreate(options.out().resolve("dev-issuer").toAbsolutePath());
        for (String tenant : tenants) {
          tokens.put(tenant, issuer.mint(DevIssuer.Claims.user(tenant)));
        }
        host = options.target().substring(0, options.target().lastIndexOf(':'));
        port = Integer.parseInt(options.target().substring(options.target().lastIndexOf(':') + 1));
      }
      try (StreamLoad load = new StreamLoad(host, port, options.channels(), tokens)) {
        run(options, gateway, load, tenants, report);
      }
    } finally {
      if (gateway != null) {
        gateway.close();
      }
      if (scheduler != null) {
        scheduler.close();
      }
      if (oidc != null) {
        oidc.close();
      }
    }
    String table = report.table();
    System.out.print(table);
    Files.writeString(options.out().resolve("result.txt"), table);
  }

  private static void run(
      BenchOptions options,
      GatewayProcess gateway,
      StreamLoad load,
      List<String> tenants,
      Report report)
      throws Exception {
    say(
        "submitting %d jobs of %d steps for %d tenants",
        options.jobs(), options.stepsPerJob(), tenants.size());
    List<Job> jobs = load.submit(options.jobs(), options.stepsPerJob(), tenants);
    say("opening %d WatchJob streams over %d connections", options.streams(), options.channels());
    long openStart = System.nanoTime();
    load.open(
        options.streams(), jobs, options.stepInterval(), options.openConcurrency(), OPEN_TIMEOUT);
    report.openSeconds = (System.nanoTime() - openStart) / 1e9;
    say(
        "%d streams open after %.1f s; warming up for %d s",
        load.openStreams(), report.openSeconds, options.warmup().toSeconds());
    Thread.sleep(options.warmup().toMillis());

    Duration gatewayCpu0 = gateway == null ? Duration.ZERO : gateway.cpuTime();
    long clientCpu0 = clientCpuNanos();
    Duration machine0 = GatewayProcess.machineBusy();
    long start = System.nanoTime();
    load.startMeasuring();
    Histogram all = new Histogram(3);
    long end = start + options.duration().toNanos();
    long lastEvents = 0;
    while (System.nanoTime() < end) {
      Thread.sleep(Math.min(REPORT_EVERY.toMillis(), (end - System.nanoTime()) / 1_000_000 + 1));
      Histogram interval = load.interval();
      all.add(interval);
      long events = load.eventsSinceStart();
      say(
          "  %5.0f s: %6d streams open, %8.0f events/s, lag p50 %s p99 %s max %s",
          (System.nanoTime() - start) / 1e9,
          load.openStreams(),
          (events - lastEvents) / (REPORT_EVERY.toMillis() / 1000.0),
          ms(interval.getValueAtPercentile(50)),
          ms(interval.getValueAtPercentile(99)),
          ms(interval.getMaxValue()));
      lastEvents = events;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    all.add(load.interval());
    report.lag = all;
    report.events = load.eventsSinceStart();
    report.seconds = seconds;
    report.streamsOpen = load.openStreams();
    report.clientCpu = (clientCpuNanos() - clientCpu0) / 1e9 / seconds;
    report.machineCpu = GatewayProcess.machineBusy().minus(machine0).toMillis() / 1000.0 / seconds;
    if (gateway != null) {
      report.gatewayCpu = (gateway.cpuTime().minus(gatewayCpu0)).toMillis() / 1000.0 / seconds;
      try {
        report.rssOpen = gateway.status("VmRSS");
        report.threads = gateway.status("Threads");
        report.gatewayOpenStreams = openStreams(gateway.metrics());
        say("full GC with %d streams open (jcmd GC.run)", load.openStreams());
        report.heapOpen = gateway.heapAfterFullGc();
        report.rssPeak = gateway.status("VmHWM");
      } catch (IOException e) {
        // An overloaded gateway (out of heap, say) is a result too: print what was measured.
        report.gatewayProblem = e.toString();
        gateway = null;
      }
    }
    report.endedEarly = load.endedEarly();
    report.errors = load.errors().toString();
    report.firstError = load.firstError();
    if (!options.disconnect()) {
      load.cancelAll();
    }
    try {
      if (gateway != null) {
        Thread.sleep(3000);
        report.gatewayOpenAfterCancel = openStreams(gateway.metrics());
      }
      load.close();
      if (gateway != null) {
        Thread.sleep(3000);
        report.gatewayOpenAfterClose = openStreams(gateway.metrics());
        report.heapClosed = gateway.heapAfterFullGc();
      }
    } catch (IOException e) {
      report.gatewayProblem = e.toString();
    }
  }

  private static double openStreams(String metrics) {
    Matcher m = OPEN_STREAMS.matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
  }

  private static long clientCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  static String ms(long micros) {
    return String.format(Locale.ROOT, "%.1f ms", micros / 1000.0);
  }

  private static void say(String format, Object... args) {
    System.out.println(
        LocalDateTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss"))
            + " "
            + String.format(Locale.ROOT, format, args));
  }

  /** What was measured, and the table it prints as. */
  private static final class Report {
    final BenchOptions options;
    double openSeconds;
    double seconds;
    long events;
    int streamsOpen;
    double gatewayOpenStreams = Double.NaN;
    double gatewayOpenAfterCancel = Double.NaN;
    double gatewayOpenAfterClose = Double.NaN;
    int endedEarly;
    String errors = "{}";
    String firstError = "";
    Histogram lag = new Histogram(3);
    long heapIdle = -1;
    long heapOpen = -1;
    long heapClosed = -1;
    long rssIdle = -1;
    long rssOpen = -1;
    long rssPeak = -1;
    long threads = -1;
    double gatewayCpu = Double.NaN;
    double clientCpu = Double.NaN;
    double machineCpu = Double.NaN;
    String gatewayProblem = "";

    Report(BenchOptions options) {
      this.options = options;
    }

    String table() {
      StringBuilder t = new StringBuilder();
      row(
          t,
          "machine",
          Runtime.getRuntime().availableProcessors()
              + " cores, "
              + System.getProperty("java.vm.name")
              + " "
              + System.getProperty("java.version"));
      row(
          t,
          "gateway",
          options.target() == null
              ? "-Xmx"
                  + options.heap()
                  + ", distributed mode in front of a simulated scheduler in the client's JVM"
                  + " (its CPU counts as the client's), step interval "
                  + options.stepInterval().toMillis()
                  + " ms"
              : options.target() + " (not started here: no heap or RSS)");
      row(
          t,
          "load",
          options.jobs()
              + " jobs ("
              + options.tenants()
              + " tenants), "
              + options.streams()
              + " WatchJob streams over "
              + options.channels()
              + " connections");
      row(
          t,
          "streams open",
          streamsOpen
              + " (client), "
              + fmt(gatewayOpenStreams)
              + " (gateway gauge); opened in "
              + String.format(Locale.ROOT, "%.1f s", openSeconds));
      row(
          t,
          "window",
          String.format(
              Locale.ROOT, "%.1f s after %d s warm-up", seconds, options.warmup().toSeconds()));
      row(t, "events/s", String.format(Locale.ROOT, "%.0f (%d events)", events / seconds, events));
      row(t, "lag p50", ms(lag.getValueAtPercentile(50)));
      row(t, "lag p99", ms(lag.getValueAtPercentile(99)));
      row(t, "lag p99.9", ms(lag.getValueAtPercentile(99.9)));
      row(t, "lag max", ms(lag.getMaxValue()));
      row(
          t,
          "heap after full GC",
          mib(heapIdle)
              + " idle, "
              + mib(heapOpen)
              + " with the streams open, "
              + mib(heapClosed)
              + " after they closed");
      if (heapOpen > 0 && heapClosed > 0) {
        row(
            t,
            "heap per stream",
            String.format(
                Locale.ROOT,
                "%.1f KiB",
                (heapOpen - heapClosed) / 1024.0 / Math.max(1, streamsOpen)));
      }
      row(
          t,
          "RSS",
          mib(rssIdle)
              + " idle, "
              + mib(rssOpen)
              + " with the streams open, peak "
              + mib(rssPeak)
              + "; "
              + threads
              + " threads");
      row(
          t,
          "CPU (cores)",
          String.format(
              Locale.ROOT,
              "gateway %.2f, client %.2f, other processes %.2f, of %d",
              gatewayCpu,
              clientCpu,
              // /proc/stat and the processes' times are read moments apart: clamp the noise.
              Math.max(0, machineCpu - gatewayCpu - clientCpu),
              Runtime.getRuntime().availableProcessors()));
      row(
          t,
          "errors",
          errors
              + (firstError.isEmpty() ? "" : " first: " + firstError)
              + "; streams ended early: "
              + endedEarly);
      row(
          t,
          "after the run",
          "the gateway's open-streams gauge: "
              + fmt(gatewayOpenAfterCancel)
              + (options.disconnect()
                  ? " 3 s after the run (streams not cancelled), "
                  : " 3 s after the client cancelled every stream, ")
              + fmt(gatewayOpenAfterClose)
              + " 3 s after it closed its connections");
      if (!gatewayProblem.isEmpty()) {
        row(t, "gateway problem", gatewayProblem + " (see gateway.log and gateway-gc.log)");
      }
      return t.toString();
    }

    private static void row(StringBuilder t, String name, String value) {
      t.append(String.format(Locale.ROOT, "%-20s %s%n", name, value));
    }

    private static String mib(long bytes) {
      return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f MiB", bytes / 1048576.0);
    }

    private static String fmt(double value) {
      return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, "%.0f", value);
    }
  }
}
