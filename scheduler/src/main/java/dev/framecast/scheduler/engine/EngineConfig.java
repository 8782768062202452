package dev.framecast.scheduler.engine;

import java.time.Duration;

/**
 * The engine's knobs; every queue and buffer has its bound here.
 *
 * @param maxJobs jobs kept (running and finished); past it the oldest finished are forgotten
 * @param maxCommands bound of the loop's command queue
 * @param maxEventBytes bound of one job's event log
 * @param rpcDeadline deadline of one node request
 * @param maxAttempts tries of one step (on different nodes when possible) before the job fails
 * @param noNodeTimeout how long a job waits for any healthy node before it fails
 * @param throughputFraction the batch-size rule's fraction of the best throughput
 * @param latencyTarget the batch-size rule's cap on step latency
 * @param maxInFlightPerNode DiT batches in flight per node (2 overlaps RPC time with compute)
 * @param previewFrames latent frames decoded for a preview
 * @param clipChunkBytes size of clip_chunk events (at most 1 MiB)
 * @param jobTimeout a job's deadline from admission (0 = none)
 * @param stepProfile configured DiT step latency (seconds) by jobs per call, seeding every node's
 *     learned profile (empty: learn from scratch)
 * @param policy how ready jobs get onto nodes (default continuous batching with fair share; the
 *     others are load-test baselines)
 * @param checkpointEvery DiT steps between latent checkpoints of a running job, kept with the clip
 *     store (and one of each running job when the engine stops), so a restart resumes it there
 *     instead of at its first step; 0 writes none
 * @param stopGrace how long a stopping engine waits for the node requests in flight, applying their
 *     results (and starting none), before it checkpoints its running jobs and stops
 */
public record EngineConfig(
    int maxJobs,
    int maxCommands,
    long maxEventBytes,
    Duration rpcDeadline,
    int maxAttempts,
    Duration noNodeTimeout,
    double throughputFraction,
    Duration latencyTarget,
    int maxInFlightPerNode,
    int previewFrames,
    int clipChunkBytes,
    Duration jobTimeout,
    java.util.Map<Integer, Double> stepProfile,
    SchedulingPolicy policy,
    int checkpointEvery,
    Duration stopGrace) {

  public EngineConfig {
    if (clipChunkBytes <= 0 || clipChunkBytes > (1 << 20)) {
      throw new IllegalArgumentException("clip chunks must be 1 byte .. 1 MiB");
    }
    stepProfile = java.util.Map.copyOf(stepProfile);
    java.util.Objects.requireNonNull(policy, "policy");
    if (maxJobs < 1 || maxCommands < 1 || maxAttempts < 1 || maxInFlightPerNode < 1) {
      throw new IllegalArgumentException("bounds must be >= 1");
    }
    if (stopGrace.isNegative()) {
      throw new IllegalArgumentException("stopGrace must not be negative, got " + stopGrace);
    }
    if (checkpointEvery < 0) {
      throw new IllegalArgumentException(
          "checkpointEvery must be >= 0 (0: no checkpoints), got " + checkpointEvery);
    }
  }

  /** The defaults: what the platform runs with unless configured otherwise. */
  public static EngineConfig defaults() {
    return builder().build();
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.maxJobs = maxJobs;
    b.maxCommands = maxCommands;
    b.maxEventBytes = maxEventBytes;
    b.rpcDeadline = rpcDeadline;
    b.maxAttempts = maxAttempts;
    b.noNodeTimeout = noNodeTimeout;
    b.throughputFraction = throughputFraction;
    b.latencyTarget = latencyTarget;
    b.maxInFlightPerNode = maxInFlightPerNode;
    b.previewFrames = previewFrames;
    b.clipChunkBytes = clipChunkBytes;
    b.jobTimeout = jobTimeout;
    b.stepProfile = stepProfile;
    b.policy = policy;
    b.checkpointEvery = checkpointEvery;
    b.stopGrace = stopGrace;
    return b;
  }

  /**
   * Builds a configuration by name, each knob starting at its default (documented on the record's
   * components); {@link #build} checks the bounds.
   */
  public static final class Builder {
    private int maxJobs = 10_000;
    private int maxCommands = 100_000;
    private long maxEventBytes = 64L << 20;
    private Duration rpcDeadline = Duration.ofSeconds(60);
    private int maxAttempts = 3;
    private Duration noNodeTimeout = Duration.ofSeconds(60);
    private double throughputFraction = 0.95;
    private Duration latencyTarget = Duration.ofSeconds(30);
    private int maxInFlightPerNode = 2;
    private int previewFrames = 3;
    private int clipChunkBytes = 1 << 20;
    private Duration jobTimeout = Duration.ofHours(1);
    private java.util.Map<Integer, Double> stepProfile = java.util.Map.of();
    private SchedulingPolicy policy = SchedulingPolicy.continuous();
    private int checkpointEvery = 8;
    private Duration stopGrace = Duration.ofSeconds(10);

    private Builder() {}

    public Builder maxJobs(int maxJobs) {
      this.maxJobs = maxJobs;
      return this;
    }

    public Builder maxCommands(int maxCommands) {
      this.maxCommands = maxCommands;
      return this;
    }

    public Builder maxEventBytes(long maxEventBytes) {
      this.maxEventBytes = maxEventBytes;
      return this;
    }

    public Builder rpcDeadline(Duration rpcDeadline) {
      this.rpcDeadline = rpcDeadline;
      return this;
    }

    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    public Builder noNodeTimeout(Duration noNodeTimeout) {
      this.noNodeTimeout = noNodeTimeout;
      return this;
    }

    public Builder throughputFraction(double throughputFraction) {
      this.throughputFraction = throughputFraction;
      return this;
    }

    public Builder latencyTarget(Duration latencyTarget) {
      this.latencyTarget = latencyTarget;
      return this;
    }

    public Builder maxInFlightPerNode(int maxInFlightPerNode) {
      this.maxInFlightPerNode = maxInFlightPerNode;
      return this;
    }

    public Builder previewFrames(int previewFrames) {
      this.previewFrames = previewFrames;
      return this;
    }

    public Builder clipChunkBytes(int clipChunkBytes) {
      this.clipChunkBytes = clipChunkBytes;
      return this;
    }

    public Builder jobTimeout(Duration jobTimeout) {
      this.jobTimeout = jobTimeout;
      return this;
    }

    public Builder stepProfile(java.util.Map<Integer, Double> stepProfile) {
      this.stepProfile = stepProfile;
      return this;
    }

    public Builder policy(SchedulingPolicy policy) {
      this.policy = policy;
      return this;
    }

    public Builder checkpointEvery(int checkpointEvery) {
      this.checkpointEvery = checkpointEvery;
      return this;
    }

    public Builder stopGrace(Duration stopGrace) {
      this.stopGrace = stopGrace;
      return this;
    }

    public EngineConfig build() {
      return new EngineConfig(
          maxJobs,
          maxCommands,
          maxEventBytes,
          rpcDeadline,
          maxAttempts,
          noNodeTimeout,
          throughputFraction,
          latencyTarget,
          maxInFlightPerNode,
          previewFrames,
          clipChunkBytes,
          jobTimeout,
          stepProfile,
          policy,
          checkpointEvery,
          stopGrace);
    }
  }
}
