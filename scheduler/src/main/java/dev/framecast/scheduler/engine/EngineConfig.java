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
    SchedulingPolicy policy) {

  public EngineConfig {
    if (clipChunkBytes <= 0 || clipChunkBytes > (1 << 20)) {
      throw new IllegalArgumentException("clip chunks must be 1 byte .. 1 MiB");
    }
    stepProfile = java.util.Map.copyOf(stepProfile);
    java.util.Objects.requireNonNull(policy, "policy");
    if (maxJobs < 1 || maxCommands < 1 || maxAttempts < 1 || maxInFlightPerNode < 1) {
      throw new IllegalArgumentException("bounds must be >= 1");
    }
  }

  public static EngineConfig defaults() {
    return new EngineConfig(
        10_000,
        100_000,
        64L << 20,
        Duration.ofSeconds(60),
        3,
        Duration.ofSeconds(60),
        0.95,
        Duration.ofSeconds(30),
        2,
        3,
        1 << 20,
        Duration.ofHours(1),
        java.util.Map.of(),
        SchedulingPolicy.continuous());
  }

  public EngineConfig withStepProfile(java.util.Map<Integer, Double> profile) {
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
        profile,
        policy);
  }

  public EngineConfig withPolicy(SchedulingPolicy policy) {
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
        policy);
  }
}
