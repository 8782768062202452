package dev.framecast.scheduler;

import dev.framecast.common.ShutdownSignals;
import dev.framecast.common.tls.TransportSecurity;
import dev.framecast.scheduler.batch.ProfileCsv;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.engine.SchedulingPolicy;
import dev.framecast.scheduler.pipeline.PipelineConfig;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import dev.framecast.scheduler.webhook.WebhookConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** {@code ./framecast scheduler}: the standalone scheduler serving framecast.scheduler.v1. */
public final class SchedulerMain {
  private static final String USAGE =
      """
      Usage: framecast scheduler [options]

      Runs the scheduler: step-level continuous batching of many tenants' jobs onto
      Triton-protocol nodes, serving framecast.scheduler.v1 (for the gateway) over gRPC.
      --policy picks a simpler baseline scheduler instead, for load-test comparisons.

        --port N              gRPC port (default 8090; 0 = any free port)
        --metrics-port N      Prometheus /metrics and the probes /livez, /readyz (leader
                              or standby), /leader (default 8091; -1 = off); open from
                              the start, also while standing by
        --nodes A,B,...       nodes: host:port, or dns:NAME:PORT for every address of NAME
                              (a Kubernetes headless service), re-resolved every second
                              (default localhost:8001)
        --tenants FILE        tenants.yaml, reloaded when it changes (default: bundled demo tenants)
        --clips DIR           where finished clips are kept (default .framecast/clips)
        --clip-retention D    how long clips (and ended jobs in the job store) are kept,
                              e.g. 7d, 12h (default 7d)
        --database URL        the durable job store: jdbc:postgresql://HOST:PORT/DB, or
                              jdbc:sqlite:FILE (embedded, no server); jobs, their events,
                              idempotency keys and daily usage survive restarts, and unfinished
                              jobs are taken back on start (default: none, jobs in memory only)
        --database-user NAME  the PostgreSQL user; the password is read from the environment
                              variable FRAMECAST_DATABASE_PASSWORD
        --render-threads N    threads encoding clips and previews (default 2)
        --checkpoint-every N  with --database: every N denoising steps, and when stopping,
                              keep each running job's latents with the clips, so that a
                              restart resumes it there, not at its first step (default 8;
                              0 = never)
        --stop-grace D        on SIGTERM, how long to wait for the node requests in flight
                              (their steps are kept) before checkpointing and exiting, e.g.
                              10s (default 10s; keep it below the pod's termination grace)
        --webhook-allow CIDRS address ranges webhooks may reach although private, loopback or
                              link-local (refused by default), e.g. 10.20.0.0/16 (default none)
        --webhook-deny CIDRS  more address ranges webhooks may not reach (default none)
        --webhook-attempts N  attempts per webhook delivery before it is given up (default 8)
        --webhook-retry D     the wait before a delivery's second attempt; it doubles after
                              each failed attempt, up to 10 minutes (default 5s)
        --pipelines FILE      pipelines.yaml (name -> text_encoder, dit, vae models; default: the
                              reference pipeline over text_encoder, dit, vae)
        --step-profile FILE   CSV of batch,latency_ms seeding every node's DiT step profile
        --policy P            scheduling policy (default continuous):
                                continuous  step-level continuous batching, weighted fair share
                                            across tenants, interactive before batch, preemption
                                fcfs        baseline: one job at a time per node, global arrival
                                            order, no fair share, no priority, no preemption
                                static      baseline: request-level batching; an idle node waits
                                            for --static-batch jobs of one pipeline or until the
                                            oldest has waited --static-delay-ms, then runs them
                                            together until all have finished
        --static-batch N      jobs per static batch, at least 1 (default 8; capped by the
                              pipeline's max batch size); only with --policy static
        --static-delay-ms D   longest wait for a fuller static batch, in ms, at least 0
                              (default 200); only with --policy static

      Mutual TLS (required unless --insecure): the scheduler serves only clients whose
      certificate names one of --tls-clients, and calls only nodes whose certificate names one
      of --tls-nodes, presenting its own certificate to them.
      """
          + TransportSecurity.Flags.USAGE
          + """
        --tls-clients N,...   certificate names whose calls are served (default framecast-gateway)
        --tls-nodes N,...     certificate names a node must have (default framecast-node)
        -h, --help            this help
      """;

  private SchedulerMain() {}

  record Args(
      int port,
      int metricsPort,
      List<String> nodes,
      Path tenants,
      Path clips,
      Duration retention,
      int renderThreads,
      Path pipelines,
      Path stepProfile,
      SchedulingPolicy policy,
      SchedulerServer.Database database,
      int checkpointEvery,
      Duration stopGrace,
      TransportSecurity.Flags tls,
      Set<String> tlsClients,
      Set<String> tlsNodes,
      WebhookConfig webhooks) {}

  public static void main(String[] argv) throws Exception {
    configureLogging();
    Args args;
    TransportSecurity security;
    try {
      args = parse(argv);
      security = args == null ? null : args.tls().open("the scheduler");
    } catch (IllegalArgumentException e) {
      System.err.println("framecast scheduler: " + e.getMessage());
      System.err.println();
      System.err.print(USAGE);
      System.exit(2);
      return;
    }
    if (args == null) {
      System.out.print(USAGE);
      return;
    }
    SchedulerServer server =
        new SchedulerServer(
                new SchedulerServer.Options(
                    args.nodes(),
                    args.pipelines() == null
                        ? List.of(PipelineSpec.reference())
                        : PipelineConfig.load(args.pipelines()),
                    args.tenants(),
                    args.clips(),
                    args.retention(),
                    EngineConfig.builder()
                        .stepProfile(
                            args.stepProfile() == null
                                ? Map.of()
                                : ProfileCsv.load(args.stepProfile()))
                        .policy(args.policy())
                        .checkpointEvery(args.checkpointEvery())
                        .stopGrace(args.stopGrace())
                        .build(),
                    args.renderThreads(),
                    args.database(),
                    args.metricsPort(),
                    security.channel(args.tlsNodes()),
                    args.webhooks()),
                Renderers.standard())
            .serve(
                security.server(
                    new InetSocketAddress(args.port()), "the scheduler", args.tlsClients()));
    Logger.getLogger(SchedulerMain.class.getName())
        .info("framecast.scheduler.v1 over " + security.describe());
    Runnable stop =
        () -> {
          server.close();
          security.close();
        };
    // On SIGTERM/SIGINT the stop runs before the JVM's shutdown hooks, which would reset the
    // logging it reports through (ShutdownSignals); the hook covers System.exit and the rest.
    ShutdownSignals.drainFirst("the scheduler", stop);
    Runtime.getRuntime().addShutdownHook(new Thread(stop, "framecast-scheduler-shutdown"));
    server.awaitTermination();
  }

  /** Returns null when help was asked for. */
  static Args parse(String[] argv) {
    int port = 8090;
    int metricsPort = 8091;
    List<String> nodes = List.of("localhost:8001");
    Path tenants = null;
    Path clips = Path.of(".framecast", "clips");
    Duration retention = Duration.ofDays(7);
    int renderThreads = 2;
    Path pipelines = null;
    Path stepProfile = null;
    String policy = "continuous";
    Integer staticBatch = null;
    Integer staticDelayMs = null;
    String database = null;
    String databaseUser = null;
    int checkpointEvery = 8;
    Duration stopGrace = Duration.ofSeconds(10);
    List<String> webhookAllow = List.of();
    List<String> webhookDeny = List.of();
    int webhookAttempts = WebhookConfig.DEFAULT.maxAttempts();
    Duration webhookRetry = WebhookConfig.DEFAULT.firstRetry();
    TransportSecurity.Flags tls = new TransportSecurity.Flags();
    Set<String> tlsClients = Set.of("framecast-gateway");
    Set<String> tlsNodes = Set.of("framecast-node");
    for (int i = 0; i < argv.length; i++) {
      String arg = argv[i];
      if (arg.equals("-h") || arg.equals("--help")) {
        return null;
      }
      if (tls.flag(arg)) {
        continue;
      }
      if (i + 1 >= argv.length) {
        throw new IllegalArgumentException(
            arg.startsWith("--") ? arg + " needs a value" : "unexpected argument '" + arg + "'");
      }
      String value = argv[++i];
      if (tls.option(arg, value)) {
        continue;
      }
      switch (arg) {
        case "--tls-clients" -> tlsClients = TransportSecurity.names(arg, value);
        case "--tls-nodes" -> tlsNodes = TransportSecurity.names(arg, value);
        case "--port" -> port = port(arg, value, 0);
        case "--metrics-port" -> metricsPort = port(arg, value, -1);
        case "--nodes" -> nodes = nodes(value);
        case "--tenants" -> tenants = Path.of(value);
        case "--clips" -> clips = Path.of(value);
        case "--clip-retention" -> retention = duration(arg, value);
        case "--render-threads" -> renderThreads = Math.max(1, integer(arg, value));
        case "--pipelines" -> pipelines = Path.of(value);
        case "--step-profile" -> stepProfile = Path.of(value);
        case "--policy" -> policy = value.trim();
        case "--database" -> database = value.trim();
        case "--database-user" -> databaseUser = value.trim();
        case "--static-batch" -> staticBatch = atLeast(arg, value, 1);
        case "--static-delay-ms" -> staticDelayMs = atLeast(arg, value, 0);
        case "--checkpoint-every" -> checkpointEvery = atLeast(arg, value, 0);
        case "--stop-grace" -> stopGrace = duration(arg, value);
        case "--webhook-allow" -> webhookAllow = ranges(value);
        case "--webhook-deny" -> webhookDeny = ranges(value);
        case "--webhook-attempts" -> webhookAttempts = atLeast(arg, value, 1);
        case "--webhook-retry" -> webhookRetry = duration(arg, value);
        default -> throw new IllegalArgumentException("unknown option '" + arg + "'");
      }
    }
    return new Args(
        port,
        metricsPort,
        nodes,
        tenants,
        clips,
        retention,
        renderThreads,
        pipelines,
        stepProfile,
        policy(policy, staticBatch, staticDelayMs),
        database(database, databaseUser, System.getenv("FRAMECAST_DATABASE_PASSWORD")),
        checkpointEvery,
        stopGrace,
        tls,
        tlsClients,
        tlsNodes,
        WebhookConfig.of(webhookAllow, webhookDeny, webhookAttempts, webhookRetry));
  }

  static List<String> ranges(String value) {
    return java.util.Arrays.stream(value.split(","))
        .map(String::trim)
        .filter(r -> !r.isEmpty())
        .toList();
  }

  static SchedulerServer.Database database(String url, String user, String password) {
    if (url == null) {
      if (user != null) {
        throw new IllegalArgumentException("--database-user needs --database");
      }
      return null;
    }
    if (!url.startsWith("jdbc:postgresql:") && !url.startsWith("jdbc:sqlite:")) {
      throw new IllegalArgumentException(
          "--database expects jdbc:postgresql://HOST:PORT/DB or jdbc:sqlite:FILE, got '"
              + url
              + "'");
    }
    return new SchedulerServer.Database(url, user, password);
  }

  private static SchedulingPolicy policy(String name, Integer staticBatch, Integer staticDelayMs) {
    if (!name.equals("static") && (staticBatch != null || staticDelayMs != null)) {
      throw new IllegalArgumentException(
          (staticBatch != null ? "--static-batch" : "--static-delay-ms")
              + " applies only to --policy static (the policy is '"
              + name
              + "')");
    }
    return switch (name) {
      case "continuous" -> SchedulingPolicy.continuous();
      case "fcfs" -> SchedulingPolicy.fcfs();
      case "static" ->
          SchedulingPolicy.staticBatching(
              staticBatch == null ? 8 : staticBatch,
              Duration.ofMillis(staticDelayMs == null ? 200 : staticDelayMs));
      default ->
          throw new IllegalArgumentException(
              "--policy expects continuous, fcfs or static, got '" + name + "'");
    };
  }

  private static int atLeast(String option, String value, int min) {
    int n = integer(option, value);
    if (n < min) {
      throw new IllegalArgumentException(option + " must be at least " + min + ", got " + n);
    }
    return n;
  }

  private static List<String> nodes(String value) {
    List<String> nodes = new ArrayList<>();
    for (String node : value.split(",")) {
      String trimmed = node.trim();
      int colon = trimmed.lastIndexOf(':');
      if (colon <= 0 || colon == trimmed.length() - 1) {
        throw new IllegalArgumentException(
            "--nodes expects host:port entries, got '" + trimmed + "'");
      }
      port("--nodes", trimmed.substring(colon + 1), 1);
      nodes.add(trimmed);
    }
    return nodes;
  }

  private static int port(String option, String value, int min) {
    int port = integer(option, value);
    if (port < min || port > 65535) {
      throw new IllegalArgumentException(option + " must be in [" + min + ", 65535], got " + port);
    }
    return port;
  }

  private static int integer(String option, String value) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " expects an integer, got '" + value + "'");
    }
  }

  static Duration duration(String option, String value) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(\\d+)([smhd])").matcher(value.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          option + " expects a duration like 7d, 12h, 30m, got '" + value + "'");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  private static void configureLogging() {
    System.setProperty(
        "java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$s %3$s: %5$s%6$s%n");
    Logger root = Logger.getLogger("");
    for (var handler : root.getHandlers()) {
      root.removeHandler(handler);
    }
    ConsoleHandler console = new ConsoleHandler();
    console.setFormatter(new SimpleFormatter());
    console.setLevel(Level.INFO);
    root.addHandler(console);
  }
}
