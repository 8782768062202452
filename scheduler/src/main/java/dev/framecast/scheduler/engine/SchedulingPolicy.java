package dev.framecast.scheduler.engine;

import java.time.Duration;
import java.util.Objects;

/**
 * How ready jobs get onto nodes: the order they are served in and when they may join a node's
 * active set. {@link Continuous} is Framecast's scheduler; {@link Fcfs} and {@link StaticBatching}
 * are the baselines a load test compares it with, run by the same engine on the same nodes (text
 * encoding, decoding, previews, failover, eviction and cancellation work alike under all three).
 * Tenants' max_concurrent_jobs applies under every policy.
 */
public sealed interface SchedulingPolicy
    permits SchedulingPolicy.Continuous, SchedulingPolicy.Fcfs, SchedulingPolicy.StaticBatching {

  /** The name the command line uses: continuous, fcfs or static. */
  String name();

  /** For logs, e.g. "static (batch 8, delay 200 ms)". */
  String describe();

  /**
   * Continuous batching at step granularity: jobs join and leave active sets between DiT steps, in
   * weighted-fair order across tenants with interactive before batch, and an interactive job may
   * preempt a batch job at a step boundary; a node's batch size comes from its step-latency
   * profile, with two micro-batches in flight where RPC time matters. The default.
   */
  record Continuous() implements SchedulingPolicy {
    @Override
    public String name() {
      return "continuous";
    }

    @Override
    public String describe() {
      return "continuous (fair share, step-level batching, preemption)";
    }
  }

  /**
   * One job at a time per node, first come first served: a node's active set holds one job (one DiT
   * request in flight), and ready jobs are served in global arrival order across tenants, with no
   * fair share, no priority and no preemption. A plain pipeline server.
   */
  record Fcfs() implements SchedulingPolicy {
    @Override
    public String name() {
      return "fcfs";
    }

    @Override
    public String describe() {
      return "fcfs (one job per node, arrival order)";
    }
  }

  /**
   * Request-level (static) batching: a node takes new jobs only when its active set is empty; then
   * it waits until {@code maxBatch} ready jobs of one pipeline are queued or the oldest ready job
   * has waited {@code maxDelay} (from when it became ready), takes up to {@code maxBatch} in
   * arrival order, and runs them together. A job leaves when its own steps end; none joins until
   * the whole set has left. No fair share, no priority, no preemption.
   *
   * @param maxBatch jobs per group (at least 1); capped by the pipeline's max batch size
   * @param maxDelay how long the oldest ready job waits for a fuller group (zero: never waits)
   */
  record StaticBatching(int maxBatch, Duration maxDelay) implements SchedulingPolicy {
    public StaticBatching {
      Objects.requireNonNull(maxDelay, "maxDelay");
      if (maxBatch < 1) {
        throw new IllegalArgumentException("static batching needs a batch of at least 1 job");
      }
      if (maxDelay.isNegative()) {
        throw new IllegalArgumentException("static batching's delay must not be negative");
      }
    }

    @Override
    public String name() {
      return "static";
    }

    @Override
    public String describe() {
      return "static (batch " + maxBatch + ", delay " + maxDelay.toMillis() + " ms)";
    }
  }

  static SchedulingPolicy continuous() {
    return new Continuous();
  }

  static SchedulingPolicy fcfs() {
    return new Fcfs();
  }

  static SchedulingPolicy staticBatching(int maxBatch, Duration maxDelay) {
    return new StaticBatching(maxBatch, maxDelay);
  }
}
