package dev.framecast.loadtest;

import dev.framecast.cli.CliException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code ./framecast loadtest}: runs a scenario with every policy it compares and reports. */
public final class LoadtestMain {
  static final String USAGE =
      """
      Usage: framecast loadtest --scenario NAME [options]

      Runs a load-test scenario against the gateway (embedded scheduler) and a simulated GPU fleet
      (inference nodes in simulated mode, in this process), once per policy: Framecast's scheduler
      (c) and the baselines (a) one job per node FCFS and (b) static batching. Writes
      results.json, report.md and charts (PNG) to --out.

        --scenario NAME   saturation, mixed, flood, control-plane, node-loss, end-to-end, smoke,
                          or all (every scenario but smoke, each into its own folder)
        --duration D      arrivals last D (e.g. 60s, 2m; default: the scenario's)
        --out DIR         where the report goes (default loadtest/target/results/NAME)
        --policies LIST   run only these policies (e.g. c or c,a)
        --time-scale K    run the fleet K times slower than its profile (default: the scenario's)
        --seed N          seed of the arrivals (default 1)
        --list            list the scenarios
        -h, --help        this help
      """;

  private LoadtestMain() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("java.awt.headless", "true");
    PrintStream err = System.err;
    try {
      System.exit(run(args, err));
    } catch (IllegalArgumentException e) {
      err.println("framecast loadtest: " + e.getMessage());
      err.println();
      err.print(USAGE);
      System.exit(2);
    } catch (CliException e) {
      err.println("framecast loadtest: " + e.getMessage());
      System.exit(1);
    }
  }

  static int run(String[] args, PrintStream err) throws Exception {
    String name = null;
    Duration duration = null;
    Path out = null;
    List<Policy> policies = null;
    Double timeScale = null;
    long seed = 1;
    Path root = Path.of(System.getProperty("framecast.root", ".")).toAbsolutePath().normalize();
    Map<String, Scenario> scenarios = Scenarios.all(root.resolve("loadtest/profiles"));
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "-h", "--help" -> {
          System.out.print(USAGE);
          return 0;
        }
        case "--list" -> {
          scenarios.values().forEach(s -> System.out.println(s.name() + ": " + s.title()));
          return 0;
        }
        default -> {}
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(
            arg + (arg.startsWith("--") ? " needs a value" : ": unexpected argument"));
      }
      String value = args[++i];
      switch (arg) {
        case "--scenario" -> name = value;
        case "--duration" -> duration = duration(value);
        case "--out" -> out = Path.of(value).toAbsolutePath();
        case "--policies" -> {
          policies = new ArrayList<>();
          for (String p : value.split(",")) {
            policies.add(Policy.parse(p.trim()));
          }
        }
        case "--time-scale" -> {
          try {
            timeScale = Double.parseDouble(value);
          } catch (NumberFormatException e) {
            timeScale = Double.NaN;
          }
          if (!(timeScale >= 0.001) || timeScale.isInfinite()) {
            throw new IllegalArgumentException(
                "--time-scale must be a number >= 0.001, got " + value);
          }
        }
        case "--seed" -> {
          try {
            seed = Long.parseLong(value);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--seed must be a whole number, got " + value);
          }
        }
        default -> throw new IllegalArgumentException("unknown option " + arg);
      }
    }
    if (name == null) {
      throw new IllegalArgumentException("--scenario is required");
    }
    List<Scenario> chosen = new ArrayList<>();
    if (name.equals("all")) {
      scenarios.values().stream().filter(s -> !s.name().equals("smoke")).forEach(chosen::add);
    } else if (scenarios.containsKey(name)) {
      chosen.add(scenarios.get(name));
    } else {
      throw new IllegalArgumentException(
          "unknown scenario '"
              + name
              + "': expected one of "
              + String.join(", ", scenarios.keySet())
              + " or all");
    }
    Path jar = root.resolve("gateway/target/quarkus-app/quarkus-run.jar");
    if (!Files.isRegularFile(jar)) {
      throw CliException.usage(
          "the gateway is not built (" + jar + "): run through ./framecast, which builds it");
    }
    for (Scenario scenario : chosen) {
      if (duration != null) {
        scenario = scenario.withDuration(duration);
      }
      if (policies != null) {
        scenario = scenario.withPolicies(policies);
      }
      if (timeScale != null) {
        scenario = scenario.withTimeScale(timeScale);
      }
      Path dir =
          out == null
              ? root.resolve("loadtest/target/results").resolve(scenario.name())
              : (chosen.size() > 1 ? out.resolve(scenario.name()) : out);
      StringBuilder command = new StringBuilder("./framecast loadtest");
      for (String arg : args) {
        command.append(' ').append(arg.contains(" ") ? "'" + arg + "'" : arg);
      }
      runScenario(root, jar, scenario, dir, command.toString(), seed, err);
    }
    // A missed target is a finding written to the report, not a failure of the tool.
    return 0;
  }

  static void runScenario(
      Path root, Path jar, Scenario scenario, Path out, String command, long seed, PrintStream err)
      throws Exception {
    err.printf("scenario %s: %s%n", scenario.name(), scenario.title());
    Capacity capacity =
        scenario.realModels()
            ? null
            : Capacity.of(root.resolve("loadtest/profiles").resolve(scenario.profile()));
    Runner runner = new Runner(root, jar, err, seed);
    List<Stats> stats = new ArrayList<>();
    for (Scenario.Variant variant : scenario.variants()) {
      for (Policy policy : scenario.policies()) {
        err.printf(
            "run %s%s: %s%n",
            variant.name().isEmpty() ? "" : variant.name() + ", ", policy.letter(), policy.title());
        Path work =
            out.resolve("work")
                .resolve((variant.name().isEmpty() ? "" : variant.name() + "-") + policy.setting());
        Run run = runner.run(scenario, variant, policy, work);
        Stats s = new Stats(run);
        err.printf(
            "  %s job-steps/s (profile time), mean completion %s, p99 %s, first event p99 %s (wall)%n",
            Check.fmt(s.jobStepsPerSecond),
            Check.ms(s.completion.mean()),
            Check.ms(s.completion.p99()),
            Check.ms(s.firstEvent.p99()));
        stats.add(s);
      }
    }
    Report report = new Report(scenario, capacity, stats, command);
    report.write(out);
    for (Check check : report.checks()) {
      err.printf(
          "  [%s] %s: %s%n",
          check.verdict().name().toLowerCase(java.util.Locale.ROOT),
          check.target(),
          check.measured());
    }
    err.println("report: " + out.resolve("report.md"));
  }

  static Duration duration(String text) {
    try {
      if (text.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
      }
      if (text.endsWith("s")) {
        return Duration.ofMillis(
            (long) (Double.parseDouble(text.substring(0, text.length() - 1)) * 1000));
      }
      if (text.endsWith("m")) {
        return Duration.ofMillis(
            (long) (Double.parseDouble(text.substring(0, text.length() - 1)) * 60_000));
      }
      return Duration.ofMillis((long) (Double.parseDouble(text) * 1000));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--duration: expected e.g. 60s or 2m, got '" + text + "'");
    }
  }
}
