package dev.framecast.loadtest;

import java.time.Duration;
import java.util.List;

/**
 * One load-test scenario: the fleet, the load, how long, and which policies run it. Rates and
 * latencies are in profile time (the H100's); the fleet runs {@code timeScale} times slower so that
 * this machine's control plane can drive it, and the report converts back.
 *
 * @param name the --scenario name
 * @param title one line for the report
 * @param profile file name under loadtest/profiles/ (ignored when {@code realModels})
 * @param nodes simulated nodes
 * @param timeScale the fleet's slow-down factor (1 = real time)
 * @param variants loads run in turn with every policy (most scenarios have one)
 * @param steps the jobs' step counts
 * @param previewEvery preview interval of every job (0 = none)
 * @param duration how long arrivals last (wall time)
 * @param warmup arrivals before this (wall time) are left out of the measurements
 * @param drain after the arrivals, wait up to this long (wall) for measured jobs to end (0 = stop
 *     at once: saturation runs, whose queues never empty)
 * @param policies the policies compared
 * @param concurrency closed loop: jobs kept outstanding (0 = open loop, Poisson arrivals)
 * @param nodeLoss nodes stopped mid-run, or null
 * @param realModels the embedded gateway's own inference node with the real ONNX models
 * @param staticBatch baseline (b)'s batch
 * @param staticDelay baseline (b)'s wait for a full batch, in profile time
 */
public record Scenario(
    String name,
    String title,
    String profile,
    int nodes,
    double timeScale,
    List<Variant> variants,
    StepMix steps,
    int previewEvery,
    Duration duration,
    Duration warmup,
    Duration drain,
    List<Policy> policies,
    int concurrency,
    NodeLoss nodeLoss,
    boolean realModels,
    int staticBatch,
    Duration staticDelay) {

  /** A named load: the tenants and their rates. */
  public record Variant(String name, List<TenantLoad> tenants) {
    public Variant {
      tenants = List.copyOf(tenants);
    }
  }

  /**
   * Nodes stopped abruptly mid-run.
   *
   * @param count how many (the last ones)
   * @param at when, as a fraction of the duration
   */
  public record NodeLoss(int count, double at) {}

  public Scenario {
    variants = List.copyOf(variants);
    policies = List.copyOf(policies);
    if (!(timeScale > 0) || nodes < 0 || variants.isEmpty() || policies.isEmpty()) {
      throw new IllegalArgumentException(name + ": time scale > 0, variants and policies");
    }
  }

  /** The same scenario with another duration (and its warm-up scaled with it). */
  public Scenario withDuration(Duration newDuration) {
    long warm = warmup.toMillis() * newDuration.toMillis() / Math.max(1, duration.toMillis());
    return new Scenario(
        name,
        title,
        profile,
        nodes,
        timeScale,
        variants,
        steps,
        previewEvery,
        newDuration,
        Duration.ofMillis(warm),
        drain,
        policies,
        concurrency,
        nodeLoss,
        realModels,
        staticBatch,
        staticDelay);
  }

  public Scenario withPolicies(List<Policy> newPolicies) {
    return new Scenario(
        name,
        title,
        profile,
        nodes,
        timeScale,
        variants,
        steps,
        previewEvery,
        duration,
        warmup,
        drain,
        newPolicies,
        concurrency,
        nodeLoss,
        realModels,
        staticBatch,
        staticDelay);
  }

  public Scenario withTimeScale(double newScale) {
    return new Scenario(
        name,
        title,
        profile,
        nodes,
        newScale,
        variants,
        steps,
        previewEvery,
        duration,
        warmup,
        drain,
        policies,
        concurrency,
        nodeLoss,
        realModels,
        staticBatch,
        staticDelay);
  }
}
