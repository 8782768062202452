package dev.framecast.gateway.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code ./framecast bench gateway} was asked for.
 *
 * @param streams WatchJob streams to hold open
 * @param jobs jobs the streams are spread over evenly
 * @param tenants tenants the jobs are spread over (bench-0, bench-1, ...)
 * @param channels client connections the streams are spread over (HTTP/2 caps streams per one)
 * @param duration the measured window, after every stream is open and the warm-up
 * @param warmup time between the last stream opening and the measured window
 * @param stepInterval the simulated scheduler's time between a job's events
 * @param openConcurrency streams being opened (not yet confirmed by their first event) at once
 * @param heap the gateway's -Xmx
 * @param gatewayJar the Quarkus fast-jar to start; null with {@code target}
 * @param target host:port of a gateway already running (nothing started or measured there)
 * @param gatewayOptions extra JVM options for the gateway (e.g. -XX:+FlightRecorder ...)
 * @param out where the gateway's log, GC log and the results go
 * @param disconnect end by closing the connections without cancelling the streams first
 */
record BenchOptions(
    int streams,
    int jobs,
    int tenants,
    int channels,
    Duration duration,
    Duration warmup,
    Duration stepInterval,
    int openConcurrency,
    String heap,
    Path gatewayJar,
    String target,
    List<String> gatewayOptions,
    Path out,
    boolean disconnect) {

  /** The gateway's quarkus.http.limits.max-concurrent-streams. */
  static final int STREAMS_PER_CONNECTION = 100;

  static final String USAGE =
      """
      Usage: ./framecast bench gateway [options]

      Starts the production gateway (-Xmx1g) in distributed mode in front of a simulated
      scheduler served from this JVM (fake jobs: one event per step interval, no models) and a
      stub OIDC provider, submits jobs, holds WatchJob streams open over several connections, and
      measures the lag from each event's timestamp to its arrival here, the gateway's heap after a
      full GC and its resident memory.

        --streams N          WatchJob streams held open (default 10000)
        --jobs N             jobs the streams are spread over (default 1000)
        --tenants N          tenants the jobs are spread over (default 10)
        --channels N         client connections (default: streams / 100, the gateway's
                             quarkus.http.limits.max-concurrent-streams)
        --duration D         measured window, e.g. 60s, 2m (default 60s)
        --warmup D           settling time after the last stream opened (default 10s)
        --step-interval D    simulated time between a job's events (default 100ms)
        --open-concurrency N streams awaiting their first event at once (default 1000)
        --heap SIZE          the gateway's -Xmx (default 1g)
        --gateway-opt OPT    an extra JVM option for the gateway (repeatable)
        --target HOST:PORT   use a running embedded-mode gateway (trusting the development
                             issuer in OUT/dev-issuer) instead of starting one
        --out DIR            logs and results (default gateway/target/bench)
        --end cancel|disconnect
                             how the client ends its streams (default cancel: RST_STREAM
                             each; disconnect: close the connections)
      """;

  static BenchOptions parse(String[] args, Path defaultJar) {
    int streams = 10_000;
    int jobs = 1_000;
    int tenants = 10;
    int channels = 0;
    Duration duration = Duration.ofSeconds(60);
    Duration warmup = Duration.ofSeconds(10);
    Duration step = Duration.ofMillis(100);
    int openConcurrency = 1_000;
    String heap = "1g";
    Path jar = defaultJar;
    String target = null;
    List<String> gatewayOptions = new ArrayList<>();
    Path out = Path.of("target/bench");
    boolean disconnect = false;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("-h") || flag.equals("--help")) {
        throw new UsageException(null);
      }
      if (i + 1 >= args.length) {
        throw new UsageException(flag + " needs a value");
      }
      String value = args[++i];
      switch (flag) {
        case "--streams" -> streams = positive(flag, value);
        case "--jobs" -> jobs = positive(flag, value);
        case "--tenants" -> tenants = positive(flag, value);
        case "--channels" -> channels = positive(flag, value);
        case "--duration" -> duration = duration(flag, value);
        case "--warmup" -> warmup = duration(flag, value);
        case "--step-interval" -> step = duration(flag, value);
        case "--open-concurrency" -> openConcurrency = positive(flag, value);
        case "--heap" -> heap = value;
        case "--gateway-jar" -> jar = Path.of(value);
        case "--gateway-opt" -> gatewayOptions.add(value);
        case "--target" -> target = value;
        case "--out" -> out = Path.of(value);
        case "--end" -> {
          if (!value.equals("cancel") && !value.equals("disconnect")) {
            throw new UsageException("--end is cancel or disconnect, not '" + value + "'");
          }
          disconnect = value.equals("disconnect");
        }
        default -> throw new UsageException("unknown option " + flag);
      }
    }
    if (channels == 0) {
      channels = Math.max(1, (streams + STREAMS_PER_CONNECTION - 1) / STREAMS_PER_CONNECTION);
    }
    if (target == null && jar == null) {
      throw new UsageException("--gateway-jar or --target is required");
    }
    return new BenchOptions(
        streams,
        jobs,
        tenants,
        channels,
        duration,
        warmup,
        step,
        openConcurrency,
        heap,
        jar,
        target,
        List.copyOf(gatewayOptions),
        out,
        disconnect);
  }

  /**
   * Steps per job so that no job ends before the measurement does: opening, warm-up, the window and
   * the heap measurements, with a generous margin.
   */
  int stepsPerJob() {
    long seconds = GatewayBench.OPEN_TIMEOUT + duration.toSeconds() + warmup.toSeconds() + 120;
    return (int) Math.min(100_000, seconds * 1000 / Math.max(1, stepInterval.toMillis()));
  }

  private static int positive(String flag, String value) {
    try {
      int n = Integer.parseInt(value);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException(flag + " needs a positive whole number, not '" + value + "'");
  }

  /** 100ms, 10s, 2m, or a bare number of seconds. */
  static Duration duration(String flag, String value) {
    try {
      if (value.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
      }
      if (value.endsWith("s")) {
        return Duration.ofSeconds(Long.parseLong(value.substring(0, value.length() - 1)));
      }
      if (value.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(value.substring(0, value.length() - 1)));
      }
      return Duration.ofSeconds(Long.parseLong(value));
    } catch (NumberFormatException e) {
      throw new UsageException(
          flag + " needs a duration like 100ms, 60s or 2m, not '" + value + "'");
    }
  }

  /** A bad command line; a null message asks for the usage alone. */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }
}
