package dev.framecast.scheduler.engine;

import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.node.NodePool;
import dev.framecast.scheduler.pipeline.Pipeline;
import dev.framecast.scheduler.queue.ArrivalQueue;
import dev.framecast.scheduler.queue.ReadyQueue;
import java.time.Instant;

/**
 * When ready jobs join nodes' active sets, and how a node steps the jobs it holds: the admission
 * half of a {@link SchedulingPolicy} (the order half is the ready queue). {@link Planner} asks it
 * at every step boundary; it sees the engine's state only as {@link Seats} and moves jobs only
 * through it, sends nothing and never waits.
 */
interface ActiveSetRule {
  /**
   * Moves ready jobs into active sets at this step boundary. Returns when a decision falls due even
   * if nothing else happens (a batching delay runs out), or null when none is pending.
   */
  Instant fill(Instant now);

  /** Jobs in one DiT batch on the node. */
  int batchSize(Node node, Pipeline pipeline);

  /** DiT batches of the node's active set in flight at once, {@code batch} being its batch size. */
  int batchesInFlight(Node node, Pipeline pipeline, int batch);

  /**
   * The rule of a policy over the seats, whose ready queue ({@code ready}, read here only for its
   * order) the policy chose.
   */
  static ActiveSetRule of(
      SchedulingPolicy policy, Seats seats, ReadyQueue ready, StepSizing sizing, NodePool pool) {
    if (policy instanceof SchedulingPolicy.Fcfs) {
      return OpenSetRule.oneAtATime(seats, pool);
    }
    if (policy instanceof SchedulingPolicy.StaticBatching batching) {
      if (!(ready instanceof ArrivalQueue arrival)) {
        throw new IllegalArgumentException(
            "static batching serves jobs in arrival order: it needs an ArrivalQueue, not "
                + ready.getClass().getSimpleName());
      }
      return new ClosedSetRule(seats, pool, arrival, batching);
    }
    return OpenSetRule.continuous(seats, sizing, pool);
  }
}
