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
    return toBuilder().duration(newDuration).warmup(Duration.ofMillis(warm)).build();
  }

  public Scenario withPolicies(List<Policy> newPolicies) {
    return toBuilder().policies(newPolicies).build();
  }

  public Scenario withTimeScale(double newScale) {
    return toBuilder().timeScale(newScale).build();
  }

  /**
   * A scenario named {@code name}: every other component by name, starting from the defaults
   * (profile xs.csv, 8 nodes, time scale 1, no previews, 60 s with 10 s of warm-up, no drain, open
   * loop, no node loss, simulated nodes, baseline (b) batches of 8 with no delay); variants, steps
   * and policies have no default.
   */
  public static Builder builder(String name, String title) {
    Builder b = new Builder();
    b.name = name;
    b.title = title;
    return b;
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.name = name;
    b.title = title;
    b.profile = profile;
    b.nodes = nodes;
    b.timeScale = timeScale;
    b.variants = variants;
    b.steps = steps;
    b.previewEvery = previewEvery;
    b.duration = duration;
    b.warmup = warmup;
    b.drain = drain;
    b.policies = policies;
    b.concurrency = concurrency;
    b.nodeLoss = nodeLoss;
    b.realModels = realModels;
    b.staticBatch = staticBatch;
    b.staticDelay = staticDelay;
    return b;
  }

  /** Builds a {@link Scenario} by name; the record's constructor checks it. */
  public static final class Builder {
    private String name;
    private String title;
    private String profile = "xs.csv";
    private int nodes = 8;
    private double timeScale = 1;
    private List<Variant> variants;
    private StepMix steps;
    private int previewEvery = 0;
    private Duration duration = Duration.ofSeconds(60);
    private Duration warmup = Duration.ofSeconds(10);
    private Duration drain = Duration.ZERO;
    private List<Policy> policies;
    private int concurrency = 0;
    private NodeLoss nodeLoss = null;
    private boolean realModels = false;
    private int staticBatch = 8;
    private Duration staticDelay = Duration.ZERO;

    private Builder() {}

    public Builder profile(String profile) {
      this.profile = profile;
      return this;
    }

    public Builder nodes(int nodes) {
      this.nodes = nodes;
      return this;
    }

    public Builder timeScale(double timeScale) {
      this.timeScale = timeScale;
      return this;
    }

    public Builder variants(List<Variant> variants) {
      this.variants = variants;
      return this;
    }

    public Builder steps(StepMix steps) {
      this.steps = steps;
      return this;
    }

    public Builder previewEvery(int previewEvery) {
      this.previewEvery = previewEvery;
      return this;
    }

    public Builder duration(Duration duration) {
      this.duration = duration;
      return this;
    }

    public Builder warmup(Duration warmup) {
      this.warmup = warmup;
      return this;
    }

    public Builder drain(Duration drain) {
      this.drain = drain;
      return this;
    }

    public Builder policies(List<Policy> policies) {
      this.policies = policies;
      return this;
    }

    public Builder concurrency(int concurrency) {
      this.concurrency = concurrency;
      return this;
    }

    public Builder nodeLoss(NodeLoss nodeLoss) {
      this.nodeLoss = nodeLoss;
      return this;
    }

    public Builder realModels(boolean realModels) {
      this.realModels = realModels;
      return this;
    }

    public Builder staticBatch(int staticBatch) {
      this.staticBatch = staticBatch;
      return this;
    }

    public Builder staticDelay(Duration staticDelay) {
      this.staticDelay = staticDelay;
      return this;
    }

    public Scenario build() {
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
          policies,
          concurrency,
          nodeLoss,
          realModels,
          staticBatch,
          staticDelay);
    }
  }
}
