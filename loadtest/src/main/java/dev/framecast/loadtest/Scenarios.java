package dev.framecast.loadtest;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The six scenarios (and a short smoke run for CI), their loads derived from the profile's
 * capacity. Nothing here is tuned to pass a target: the loads are the ("saturation", "80%
 * load", "10x its share") and the time scales only keep this 2-core machine's control plane ahead
 * of the simulated fleet.
 */
public final class Scenarios {
  private Scenarios() {}

  static final List<String> TENANTS = List.of("acme", "globex", "initech");
  static final List<Policy> ALL = List.of(Policy.CONTINUOUS, Policy.FCFS, Policy.STATIC);
  static final List<Policy> FRAMECAST = List.of(Policy.CONTINUOUS);

  /** Every scenario by name, in the order, then the smoke run. */
  public static Map<String, Scenario> all(Path profiles) {
    Map<String, Scenario> all = new LinkedHashMap<>();
    for (Scenario s :
        List.of(
            saturation(profiles),
            mixed(profiles),
            flood(profiles),
            controlPlane(profiles),
            nodeLoss(profiles),
            endToEnd(),
            smoke(profiles))) {
      all.put(s.name(), s);
    }
    return all;
  }

  /** Jobs per second (profile time) that keep {@code nodes} nodes at {@code load} x capacity. */
  static double jobsPerSecond(Capacity capacity, int nodes, double load, StepMix steps) {
    return load * nodes * capacity.bestJobStepsPerSecond() / steps.meanSteps();
  }

  static List<TenantLoad> equalShares(double totalJobsPerSecond) {
    List<TenantLoad> tenants = new ArrayList<>();
    for (String tenant : TENANTS) {
      tenants.add(new TenantLoad(tenant, 1, totalJobsPerSecond / TENANTS.size()));
    }
    return tenants;
  }

  /** Baseline (b)'s delay: half a job's time at the best batch, in profile time. */
  static Duration staticDelay(Capacity capacity, StepMix steps) {
    return Duration.ofNanos((long) (0.5 * steps.meanSteps() * capacity.bestBatchSeconds() * 1e9));
  }

  /** 1. Saturation, small model: xs, 8 nodes, 3 tenants, offered 1.2x the best throughput. */
  static Scenario saturation(Path profiles) {
    Capacity capacity = Capacity.of(profiles.resolve("xs.csv"));
    StepMix steps = StepMix.of(24);
    return Scenario.builder(
            "saturation",
            "Saturation, small model: profile xs, 8 nodes, 3 tenants offering 1.2x the fleet's best"
                + " throughput, 24-step jobs")
        .timeScale(50)
        .variants(
            List.of(new Scenario.Variant("", equalShares(jobsPerSecond(capacity, 8, 1.2, steps)))))
        .steps(steps)
        .warmup(Duration.ofSeconds(15))
        .policies(ALL)
        .staticBatch(capacity.bestBatch())
        .staticDelay(staticDelay(capacity, steps))
        .build();
  }

  /** 2. Mixed work at 80% load: xl, 8 nodes, 8- and 50-step jobs equally often. */
  static Scenario mixed(Path profiles) {
    Capacity capacity = Capacity.of(profiles.resolve("xl.csv"));
    StepMix steps = StepMix.half(8, 50);
    return Scenario.builder(
            "mixed",
            "Mixed work at 80% load: profile xl, 8 nodes, 3 tenants, 8- and 50-step jobs equally"
                + " often")
        .profile("xl.csv")
        .variants(
            List.of(new Scenario.Variant("", equalShares(jobsPerSecond(capacity, 8, 0.8, steps)))))
        .steps(steps)
        .duration(Duration.ofSeconds(90))
        .drain(Duration.ofSeconds(90))
        .policies(ALL)
        .staticDelay(staticDelay(capacity, steps))
        .build();
  }

  /**
   * 3. Flood: weights 1:1:2, each tenant offering 90% of its weighted share; then the same with
   * globex sending 10x its share.
   */
  static Scenario flood(Path profiles) {
    Capacity capacity = Capacity.of(profiles.resolve("xs.csv"));
    StepMix steps = StepMix.of(24);
    double total = jobsPerSecond(capacity, 8, 1.0, steps);
    double[] weights = {1, 1, 2};
    List<TenantLoad> polite = new ArrayList<>();
    List<TenantLoad> flooded = new ArrayList<>();
    for (int i = 0; i < TENANTS.size(); i++) {
      double share = total * weights[i] / 4;
      polite.add(new TenantLoad(TENANTS.get(i), weights[i], 0.9 * share));
      flooded.add(
          new TenantLoad(
              TENANTS.get(i),
              weights[i],
              TENANTS.get(i).equals("globex") ? 10 * share : 0.9 * share));
    }
    return Scenario.builder(
            "flood",
            "Flood: profile xs, 8 nodes, weights acme 1, globex 1, initech 2, each offering 90% of its"
                + " share; then globex sends 10x its share")
        .timeScale(50)
        .variants(
            List.of(
                new Scenario.Variant("no-flood", polite), new Scenario.Variant("flood", flooded)))
        .steps(steps)
        .warmup(Duration.ofSeconds(15))
        .drain(Duration.ofSeconds(30))
        .policies(ALL)
        .staticBatch(capacity.bestBatch())
        .staticDelay(staticDelay(capacity, steps))
        .build();
  }

  /** 4. Control-plane overhead: 1,000 jobs kept outstanding on 16 nodes. */
  static Scenario controlPlane(Path profiles) {
    Capacity capacity = Capacity.of(profiles.resolve("xs.csv"));
    StepMix steps = StepMix.of(24);
    return Scenario.builder(
            "control-plane",
            "Control-plane overhead: profile xs, 16 nodes, 1,000 concurrent jobs (closed loop), 24"
                + " steps")
        .nodes(16)
        .timeScale(50)
        .variants(List.of(new Scenario.Variant("", equalShares(0))))
        .steps(steps)
        .warmup(Duration.ofSeconds(15))
        .policies(FRAMECAST)
        .concurrency(1000)
        .staticBatch(capacity.bestBatch())
        .staticDelay(staticDelay(capacity, steps))
        .build();
  }

  /** 5. Node loss: 2 of 8 nodes stopped mid-run under saturation. */
  static Scenario nodeLoss(Path profiles) {
    Capacity capacity = Capacity.of(profiles.resolve("xs.csv"));
    StepMix steps = StepMix.of(24);
    return Scenario.builder(
            "node-loss",
            "Node loss: profile xs, 8 nodes, saturated (1.2x), 2 nodes stopped abruptly half-way")
        .timeScale(50)
        .variants(
            List.of(new Scenario.Variant("", equalShares(jobsPerSecond(capacity, 8, 1.2, steps)))))
        .steps(steps)
        .duration(Duration.ofSeconds(90))
        .warmup(Duration.ofSeconds(15))
        .policies(FRAMECAST)
        .nodeLoss(new Scenario.NodeLoss(2, 0.5))
        .staticBatch(capacity.bestBatch())
        .staticDelay(staticDelay(capacity, steps))
        .build();
  }

  /** 6. End to end on this machine: the real ONNX models in the embedded gateway. */
  static Scenario endToEnd() {
    return Scenario.builder(
            "end-to-end",
            "End to end: embedded mode with the real ONNX models on this machine's CPU, 4 jobs"
                + " outstanding (closed loop), 24 steps, a preview every 6 steps")
        .profile("")
        .nodes(0)
        .variants(List.of(new Scenario.Variant("", equalShares(0))))
        .steps(StepMix.of(24))
        .previewEvery(6)
        .duration(Duration.ofSeconds(180))
        .warmup(Duration.ofSeconds(30))
        .policies(FRAMECAST)
        .concurrency(4)
        .realModels(true)
        .staticBatch(1)
        .build();
  }

  /** A few seconds of every policy on 2 nodes: what CI runs to keep the tool working. */
  static Scenario smoke(Path profiles) {
    Capacity capacity = Capacity.of(profiles.resolve("xs.csv"));
    StepMix steps = StepMix.half(4, 8);
    return Scenario.builder(
            "smoke",
            "Smoke: profile xs, 2 nodes, 3 tenants at 80% of what one job per node can serve, 4-"
                + " and 8-step jobs (CI)")
        .nodes(2)
        .timeScale(10)
        .variants(
            List.of(
                new Scenario.Variant(
                    "",
                    equalShares(0.8 * 2 * capacity.singleJobStepsPerSecond() / steps.meanSteps()))))
        .steps(steps)
        .previewEvery(2)
        .duration(Duration.ofSeconds(8))
        .warmup(Duration.ofSeconds(1))
        .drain(Duration.ofSeconds(30))
        .policies(ALL)
        .staticBatch(4)
        .staticDelay(staticDelay(capacity, steps))
        .build();
  }
}
