package dev.framecast.node;

import dev.framecast.common.ShutdownSignals;
import dev.framecast.common.tls.TransportSecurity;
import dev.framecast.node.fault.FaultInjector;
import dev.framecast.node.infer.OutputOrder;
import dev.framecast.node.sim.SimulatedProfile;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * {@code ./framecast node}: serves a Triton model repository with ONNX Runtime on CPUs, or
 * simulates it from a latency profile for load tests ({@code --simulate}).
 */
public final class NodeMain {
  private static final String USAGE =
      """
      Usage: framecast node [options]

      Serves a Triton model repository over Triton's gRPC protocol with ONNX Runtime (CPU),
      or, with --simulate, a simulated GPU node for load tests.

        --model-repository DIR   the Triton model repository (default: triton-models)
        --host HOST              address to bind (default 0.0.0.0)
        --port N                 gRPC port (default 8001, Triton's; 0 = any free port)
        --metrics-port N         Prometheus /metrics port (default 8002; -1 = off)
        --load-model NAME        load only this model (repeatable; default: every model)
        --intra-op-threads N     ONNX Runtime threads per session (default: ONNX Runtime's)
        --max-queue-size N       queue bound per model when its config sets none (default 1024)
        --output-order O         how responses list their outputs: name (Triton's ONNX Runtime
                                 backend, the default), request, reverse or shuffle (the last
                                 three test that clients match outputs by name)
        --fault-latency M=MS     add MS milliseconds to every request for model M
        --fault-fail M=N         fail the next N requests for model M with UNAVAILABLE
        --fault-not-ready M      report model M (or * for the server) as not ready
        --simulate PROFILE.csv   LOAD TESTS ONLY: run no model; each batch waits the latency the
                                 profile gives its rows (lines model,batch,latency_ms; one GPU per
                                 node, shared by its models) and returns zero or pass-through
                                 tensors of the right shape; model.onnx files are not needed
        --time-scale K           with --simulate: multiply every latency by K (>= 0.001), so a
                                 small machine can drive many nodes; divide measured times by K

      Mutual TLS (required unless --insecure): the node serves only clients whose certificate
      names one of --tls-clients (the scheduler's).
      """
          + TransportSecurity.Flags.USAGE
          + """
        --tls-clients N,...   certificate names whose calls are served (default
                              framecast-scheduler)
        -h, --help            this help
      """;

  private NodeMain() {}

  public static void main(String[] args) throws Exception {
    configureLogging();
    NodeOptions.Builder options;
    List<String[]> faults = new ArrayList<>();
    TransportSecurity.Flags tls = new TransportSecurity.Flags();
    Set<String> clients = new LinkedHashSet<>();
    TransportSecurity security = null;
    try {
      options = parse(args, faults, tls, clients);
      if (options != null) {
        security = tls.open("the node");
      }
    } catch (IllegalArgumentException e) {
      System.err.println("framecast node: " + e.getMessage());
      System.err.println();
      System.err.print(USAGE);
      System.exit(2);
      return;
    }
    if (options == null) {
      System.out.print(USAGE);
      return;
    }
    NodeOptions built = options.build();
    InferenceNode node =
        InferenceNode.start(
            built,
            security.server(
                new InetSocketAddress(built.host(), built.port()),
                "the node",
                clients.isEmpty() ? Set.of("framecast-scheduler") : clients));
    Logger.getLogger(NodeMain.class.getName())
        .info("Triton's gRPC protocol over " + security.describe());
    apply(node.faults(), faults);
    // Drained on SIGTERM/SIGINT before the JVM's shutdown hooks run (ShutdownSignals says why);
    // the hook still closes a node stopped any other way (System.exit elsewhere).
    ShutdownSignals.drainFirst("the node", node::close);
    Runtime.getRuntime().addShutdownHook(new Thread(node::close, "framecast-node-shutdown"));
    node.awaitTermination();
  }

  /** Returns null when help was asked for. */
  static NodeOptions.Builder parse(String[] args, List<String[]> faults) {
    return parse(args, faults, new TransportSecurity.Flags(), new LinkedHashSet<>());
  }

  /**
   * Returns null when help was asked for; the TLS options go to {@code tls}, the accepted client
   * names to {@code clients}.
   */
  static NodeOptions.Builder parse(
      String[] args, List<String[]> faults, TransportSecurity.Flags tls, Set<String> clients) {
    Path repository = Path.of("triton-models");
    Path profile = null;
    Double timeScale = null;
    List<Runnable> settings = new ArrayList<>();
    NodeOptions.Builder[] holder = new NodeOptions.Builder[1];
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("-h") || arg.equals("--help")) {
        return null;
      }
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + arg + "'");
      }
      if (tls.flag(arg)) {
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(arg + " needs a value");
      }
      String value = args[++i];
      if (tls.option(arg, value)) {
        continue;
      }
      switch (arg) {
        case "--tls-clients" -> {
          clients.clear();
          clients.addAll(TransportSecurity.names(arg, value));
        }
        case "--model-repository" -> repository = Path.of(value);
        case "--host" -> settings.add(() -> holder[0].host(value));
        case "--port" -> {
          int port = integer(arg, value);
          settings.add(() -> holder[0].port(port));
        }
        case "--metrics-port" -> {
          int port = integer(arg, value);
          settings.add(() -> holder[0].metricsPort(port));
        }
        case "--load-model" -> settings.add(() -> holder[0].loadModel(value));
        case "--intra-op-threads" -> {
          int threads = integer(arg, value);
          settings.add(() -> holder[0].intraOpThreads(threads));
        }
        case "--max-queue-size" -> {
          int size = integer(arg, value);
          settings.add(() -> holder[0].maxQueueSize(size));
        }
        case "--output-order" -> {
          OutputOrder order = OutputOrder.parse(value);
          settings.add(() -> holder[0].outputOrder(order));
        }
        case "--fault-latency", "--fault-fail", "--fault-not-ready" ->
            faults.add(new String[] {arg, value});
        case "--simulate" -> profile = Path.of(value);
        case "--time-scale" -> timeScale = number(arg, value);
        default -> throw new IllegalArgumentException("unknown option '" + arg + "'");
      }
    }
    holder[0] = NodeOptions.builder(repository);
    settings.forEach(Runnable::run);
    if (timeScale != null && profile == null) {
      throw new IllegalArgumentException("--time-scale needs --simulate PROFILE.csv");
    }
    if (timeScale != null
        && !(timeScale >= SimulatedProfile.MIN_TIME_SCALE && Double.isFinite(timeScale))) {
      throw new IllegalArgumentException(
          "--time-scale must be a finite number >= "
              + SimulatedProfile.MIN_TIME_SCALE
              + ", got "
              + timeScale);
    }
    if (profile != null) {
      holder[0].simulate(profile(profile, timeScale == null ? 1 : timeScale));
    }
    holder[0].build(); // validates now, before any model is loaded
    return holder[0];
  }

  static void apply(FaultInjector injector, List<String[]> faults) {
    for (String[] fault : faults) {
      switch (fault[0]) {
        case "--fault-latency" -> {
          Map.Entry<String, String> spec = FaultInjector.parse(fault[1]);
          injector.addLatency(spec.getKey(), Long.parseLong(spec.getValue()));
        }
        case "--fault-fail" -> {
          Map.Entry<String, String> spec = FaultInjector.parse(fault[1]);
          injector.failNext(spec.getKey(), Integer.parseInt(spec.getValue()));
        }
        case "--fault-not-ready" -> injector.setNotReady(fault[1], true);
        default -> throw new IllegalArgumentException(fault[0]);
      }
    }
  }

  private static SimulatedProfile profile(Path file, double timeScale) {
    try {
      return SimulatedProfile.load(file, timeScale);
    } catch (IOException e) {
      String why = e instanceof NoSuchFileException ? "no such file" : e.toString();
      throw new IllegalArgumentException("--simulate: cannot read profile " + file + ": " + why, e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--simulate: " + e.getMessage(), e);
    }
  }

  private static double number(String option, String value) {
    try {
      return Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " expects a number, got '" + value + "'");
    }
  }

  private static int integer(String option, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " expects an integer, got '" + value + "'");
    }
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
