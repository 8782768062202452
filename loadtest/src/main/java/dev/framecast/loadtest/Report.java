package dev.framecast.loadtest;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a scenario's results to {@code --out}: {@code results.json} (every figure, per run and per
 * tenant, and the time series), {@code report.md} (tables, targets, charts) and the charts' PNGs.
 */
final class Report {
  private final Scenario scenario;
  private final Capacity capacity;
  private final List<Stats> runs;
  private final List<Check> checks;
  private final String command;

  Report(Scenario scenario, Capacity capacity, List<Stats> runs, String command) {
    this.scenario = scenario;
    this.capacity = capacity;
    this.runs = runs;
    this.checks = Check.of(scenario, runs, capacity);
    this.command = command;
  }

  List<Check> checks() {
    return checks;
  }

  void write(Path out) throws IOException {
    Files.createDirectories(out);
    List<String> charts = charts(out);
    Files.writeString(out.resolve("results.json"), json());
    Files.writeString(out.resolve("report.md"), markdown(charts));
  }

  private String json() {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("scenario", scenario.name());
    root.put("title", scenario.title());
    root.put("command", command);
    root.put("profile", scenario.realModels() ? "real ONNX models" : scenario.profile());
    root.put("nodes", scenario.nodes());
    root.put("timeScale", scenario.timeScale());
    root.put("durationSeconds", scenario.duration().toMillis() / 1000.0);
    root.put("warmupSeconds", scenario.warmup().toMillis() / 1000.0);
    root.put(
        "bestJobStepsPerSecondPerNode", capacity == null ? null : capacity.bestJobStepsPerSecond());
    root.put("machine", machine());
    List<Object> list = new ArrayList<>();
    for (Stats s : runs) {
      Map<String, Object> run = new LinkedHashMap<>();
      run.put("variant", s.run.variant());
      run.put("policy", s.run.policy().letter());
      run.put("policyName", s.run.policy().setting());
      run.put("jobsSent", s.run.jobs().size());
      run.put("jobStepsPerSecond", s.jobStepsPerSecond);
      run.put("jobsPerSecond", s.jobsPerSecond);
      run.put("meanBatch", s.meanBatch);
      run.put("fleetBusy", s.busy);
      run.put("fleetBusyWhileQueued", s.busyWhileQueued);
      run.put("loopCpuSecondsPerJobStep", s.loopCpuPerJobStep);
      run.put("gatewayCpuSecondsPerJobStep", s.gatewayCpuPerJobStep);
      run.put("gatewayCpuSeconds", s.gatewayCpuSeconds);
      run.put("failed", s.failed);
      run.put("errors", Runner.errors(s.run.jobs()));
      run.put("completionMillis", s.completion);
      run.put("firstEventMillisWall", s.firstEvent);
      run.put("firstPreviewMillisWall", s.firstPreview);
      run.put("tenants", s.tenants.values());
      List<Object> series = new ArrayList<>();
      for (Sample sample : s.run.samples()) {
        Map<String, Object> point = new LinkedHashMap<>();
        point.put("t", sample.tNanos() / 1e9);
        point.put("queued", sample.queuedTotal());
        point.put("active", sample.active());
        point.put("jobSteps", sample.batchSum());
        point.put("batches", sample.batchCount());
        point.put("gpuSeconds", sample.gpuSeconds());
        point.put("fleetBusySeconds", sample.fleetBusyNanos() / 1e9);
        point.put("nodesUp", sample.nodesUp());
        series.add(point);
      }
      run.put("samples", series);
      list.add(run);
    }
    root.put("runs", list);
    root.put("checks", checks);
    return new GsonBuilder()
            .setPrettyPrinting()
            .serializeSpecialFloatingPointValues()
            .create()
            .toJson(root)
        + "\n";
  }

  static String machine() {
    return Runtime.getRuntime().availableProcessors()
        + " cores, Java "
        + System.getProperty("java.version")
        + ", "
        + System.getProperty("os.name")
        + " "
        + System.getProperty("os.arch");
  }

  private List<String> charts(Path out) throws IOException {
    List<String> files = new ArrayList<>();
    double k = scenario.timeScale();
    Map<String, List<double[]>> cdf = new LinkedHashMap<>();
    for (Stats s : runs) {
      for (String tenant : Stats.tenantsOf(s.run)) {
        cdf.put(s.run.label() + " " + tenant, Charts.cdf(Stats.completionSeconds(s.run, tenant)));
      }
    }
    Charts.lines(
        out.resolve("completion-cdf.png"),
        "Job completion time per tenant (CDF)",
        "completion time, seconds (profile time, from the intended send time)",
        "fraction of jobs",
        cdf,
        true);
    files.add("completion-cdf.png|Job completion time per tenant and policy (CDF, log scale)");

    Map<String, List<double[]>> queue = new LinkedHashMap<>();
    Map<String, List<double[]>> batch = new LinkedHashMap<>();
    Map<String, List<double[]>> throughput = new LinkedHashMap<>();
    for (Stats s : runs) {
      List<Sample> samples = s.run.samples();
      List<double[]> q = new ArrayList<>();
      List<double[]> b = new ArrayList<>();
      List<double[]> t = new ArrayList<>();
      for (int i = 0; i < samples.size(); i++) {
        Sample now = samples.get(i);
        q.add(new double[] {now.tNanos() / 1e9, now.queuedTotal()});
        int from = Math.max(0, i - 4);
        Sample then = samples.get(from);
        double dt = (now.tNanos() - then.tNanos()) / 1e9;
        double batches = now.batchCount() - then.batchCount();
        if (batches > 0) {
          b.add(new double[] {now.tNanos() / 1e9, (now.batchSum() - then.batchSum()) / batches});
        }
        if (dt > 0) {
          t.add(new double[] {now.tNanos() / 1e9, (now.batchSum() - then.batchSum()) / dt * k});
        }
      }
      queue.put(s.run.label(), q);
      batch.put(s.run.label(), b);
      throughput.put(s.run.label(), t);
    }
    Charts.lines(
        out.resolve("queue-depth.png"),
        "Queue depth (jobs admitted, not started)",
        "run time, seconds (wall)",
        "jobs",
        queue,
        false);
    files.add("queue-depth.png|Queue depth over the run");
    Charts.lines(
        out.resolve("batch-size.png"),
        "DiT batch size (jobs per step request, 2 s moving window)",
        "run time, seconds (wall)",
        "jobs per batch",
        batch,
        false);
    files.add("batch-size.png|Mean DiT batch size over the run");
    Charts.lines(
        out.resolve("throughput.png"),
        "Throughput (DiT job-steps per second, profile time, 2 s moving window)",
        "run time, seconds (wall)",
        "job-steps / s",
        throughput,
        false);
    files.add("throughput.png|Throughput over the run");

    for (Stats s : runs) {
      Map<String, List<double[]>> share = new LinkedHashMap<>();
      List<Sample> samples = s.run.samples();
      for (String tenant : Stats.tenantsOf(s.run)) {
        List<double[]> points = new ArrayList<>();
        for (int i = 10; i < samples.size(); i++) {
          Sample now = samples.get(i);
          Sample then = samples.get(i - 10);
          double total = now.gpuSecondsTotal() - then.gpuSecondsTotal();
          if (total > 0) {
            double mine =
                now.gpuSeconds().getOrDefault(tenant, 0.0)
                    - then.gpuSeconds().getOrDefault(tenant, 0.0);
            points.add(new double[] {now.tNanos() / 1e9, mine / total});
          }
        }
        share.put(tenant, points);
      }
      String name = "gpu-share-" + s.run.label().replace(' ', '-') + ".png";
      Charts.lines(
          out.resolve(name),
          "GPU share per tenant, "
              + s.run.policy().title()
              + (s.run.variant().isEmpty() ? "" : " (" + s.run.variant() + ")")
              + " (5 s window)",
          "run time, seconds (wall)",
          "share of GPU-seconds",
          share,
          false);
      files.add(name + "|GPU share per tenant over time, " + s.run.label());
    }
    return files;
  }

  private String markdown(List<String> charts) {
    StringBuilder md = new StringBuilder();
    double k = scenario.timeScale();
    md.append("# Load test: ").append(scenario.name()).append("\n\n");
    md.append(scenario.title()).append(".\n\n");
    md.append("- Command: `").append(command).append("`\n");
    md.append("- Machine: ").append(machine()).append("\n");
    if (!scenario.realModels()) {
      md.append("- Fleet: ")
          .append(scenario.nodes())
          .append(" simulated nodes, profile `loadtest/profiles/")
          .append(scenario.profile())
          .append("`, time scale ")
          .append(Check.fmt(k))
          .append(" (the fleet runs ")
          .append(Check.fmt(k))
          .append(
              "x slower than the profile; throughputs and completion times below are converted back to profile time; time to first event is wall time, unscaled)\n");
      md.append("- Profile: best ")
          .append(Check.fmt(capacity.bestJobStepsPerSecond()))
          .append(" job-steps/s per node at ")
          .append(capacity.bestBatch())
          .append(" jobs per batch; one job alone: ")
          .append(Check.fmt(capacity.singleJobStepsPerSecond()))
          .append(" job-steps/s\n");
      md.append("- Baseline (b): batches of up to ")
          .append(scenario.staticBatch())
          .append(" jobs, waiting up to ")
          .append(Check.ms(scenario.staticDelay().toNanos() / 1e6))
          .append(" (profile time) for a full batch\n");
    } else {
      md.append(
          "- Embedded mode: the gateway's own inference node runs the real ONNX models on this machine's CPU\n");
    }
    md.append("- Jobs: ")
        .append(scenario.steps())
        .append(
            scenario.previewEvery() > 0
                ? ", a preview every " + scenario.previewEvery() + " steps"
                : "")
        .append(
            scenario.concurrency() > 0
                ? ", closed loop with " + scenario.concurrency() + " jobs outstanding"
                : ", open loop (Poisson arrivals per tenant)")
        .append("\n");
    md.append("- Duration ")
        .append(scenario.duration().toSeconds())
        .append(" s of arrivals (wall), the first ")
        .append(scenario.warmup().toSeconds())
        .append(" s not measured")
        .append(
            scenario.drain().isZero()
                ? "; the run stops when arrivals stop (queues are left)"
                : "; then up to "
                    + scenario.drain().toSeconds()
                    + " s for measured jobs to end (jobs still running count with the time they had waited: marked ≥)")
        .append("\n");
    for (Scenario.Variant variant : scenario.variants()) {
      md.append("- Tenants")
          .append(variant.name().isEmpty() ? "" : " (" + variant.name() + ")")
          .append(": ");
      List<String> parts = new ArrayList<>();
      for (TenantLoad t : variant.tenants()) {
        parts.add(
            t.tenant()
                + " weight "
                + Check.fmt(t.weight())
                + (scenario.concurrency() > 0
                    ? ""
                    : ", " + Check.fmt(t.jobsPerSecond()) + " jobs/s"));
      }
      md.append(String.join("; ", parts)).append("\n");
    }
    md.append("\n## Results\n\n");
    md.append(
        "| run | policy | jobs sent | job-steps/s | jobs/s | mean batch | fleet busy | busy while queued | completion mean | p50 | p99 | first event p99 (wall) | failed |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Stats s : runs) {
      String ge = s.completion.censored() > 0 ? "≥" : "";
      md.append("| ")
          .append(s.run.label())
          .append(" | ")
          .append(s.run.policy().title())
          .append(" | ")
          .append(s.run.jobs().size())
          .append(" | ")
          .append(Check.fmt(s.jobStepsPerSecond))
          .append(" | ")
          .append(Check.fmt(s.jobsPerSecond))
          .append(" | ")
          .append(Check.fmt(s.meanBatch))
          .append(" | ")
          .append(Check.pct(s.busy))
          .append(" | ")
          .append(Check.pct(s.busyWhileQueued))
          .append(" | ")
          .append(ge)
          .append(Check.ms(s.completion.mean()))
          .append(" | ")
          .append(ge)
          .append(Check.ms(s.completion.p50()))
          .append(" | ")
          .append(ge)
          .append(Check.ms(s.completion.p99()))
          .append(" | ")
          .append(Check.ms(s.firstEvent.p99()))
          .append(" | ")
          .append(s.failed)
          .append(" |\n");
    }
    md.append(
            "\nCompletion times run from each job's intended send time to its last event (profile time); ")
        .append("“≥”: some measured jobs had not ended when the run stopped (")
        .append("their waits so far are counted, so the figure is a lower bound).\n");
    if (scenario.realModels() || scenario.name().equals("control-plane")) {
      md.append(
          "\n| run | clips/min (wall) | first preview p50 | p99 (wall) | gateway CPU s/clip | gateway CPU ms/job-step | scheduler loop CPU µs/job-step |\n|---|---|---|---|---|---|---|\n");
      for (Stats s : runs) {
        double minutes = s.windowSeconds / 60;
        md.append("| ")
            .append(s.run.label())
            .append(" | ")
            .append(Check.fmt(s.succeeded / minutes))
            .append(" | ")
            .append(Check.ms(s.firstPreview.p50()))
            .append(" | ")
            .append(Check.ms(s.firstPreview.p99()))
            .append(" | ")
            .append(Check.fmt(s.succeeded > 0 ? s.gatewayCpuSeconds / s.succeeded : Double.NaN))
            .append(" | ")
            .append(Check.fmt(s.gatewayCpuPerJobStep * 1e3))
            .append(" | ")
            .append(Check.fmt(s.loopCpuPerJobStep * 1e6))
            .append(" |\n");
      }
    }
    md.append(
        "\n### Per tenant\n\n| run | tenant | sent | succeeded | failed | rejected | unfinished | GPU share | completion p50 | p99 | first event p99 (wall) |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Stats s : runs) {
      for (Stats.Tenant t : s.tenants.values()) {
        String ge = t.completion().censored() > 0 ? "≥" : "";
        md.append("| ")
            .append(s.run.label())
            .append(" | ")
            .append(t.tenant())
            .append(" | ")
            .append(t.sent())
            .append(" | ")
            .append(t.succeeded())
            .append(" | ")
            .append(t.failed())
            .append(" | ")
            .append(t.rejected())
            .append(" | ")
            .append(t.incomplete())
            .append(" | ")
            .append(Check.pct(t.gpuShare()))
            .append(" | ")
            .append(ge)
            .append(Check.ms(t.completion().p50()))
            .append(" | ")
            .append(ge)
            .append(Check.ms(t.completion().p99()))
            .append(" | ")
            .append(Check.ms(t.firstEvent().p99()))
            .append(" |\n");
      }
    }
    if (!checks.isEmpty()) {
      md.append("\n## Targets\n\n| target | measured | met |\n|---|---|---|\n");
      for (Check check : checks) {
        md.append("| ")
            .append(check.target())
            .append(" | ")
            .append(check.measured())
            .append(" | ")
            .append(
                switch (check.verdict()) {
                  case MET -> "yes";
                  case MISSED -> "**no**";
                  case REPORTED -> "reported";
                })
            .append(" |\n");
      }
    }
    md.append("\n## Charts\n\n");
    for (String chart : charts) {
      String[] parts = chart.split("\\|", 2);
      md.append("![").append(parts[1]).append("](").append(parts[0]).append(")\n\n");
    }
    return md.toString();
  }
}
