package dev.framecast.scheduler.engine;

import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.node.NodePool;
import dev.framecast.scheduler.pipeline.Pipeline;
import dev.framecast.scheduler.queue.ArrivalQueue;
import java.time.Instant;

/**
 * When ready jobs join nodes' active sets, and how a node steps the jobs it holds: the admission
 * half of a {@link SchedulingPolicy} (the order half is the ready queue). {@link Planner} asks it
 * at every step boundary; it moves jobs with the planner's {@code join}, sends nothing and never
 * waits.
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

  /** The rule of a policy, over the planner's state (whose ready queue the policy chose). */
  static ActiveSetRule of(
      SchedulingPolicy policy, Planner planner, EngineState state, NodePool pool) {
    if (policy instanceof SchedulingPolicy.Fcfs) {
      return OpenSetRule.oneAtATime(planner, state, pool);
    }
    if (policy instanceof SchedulingPolicy.StaticBatching batching) {
      if (!(state.ready instanceof ArrivalQueue arrival)) {
        throw new IllegalArgumentException(
            "static batching serves jobs in arrival order: it needs an ArrivalQueue, not "
                + state.ready.getClass().getSimpleName());
      }
      return new ClosedSetRule(planner, state, pool, arrival, batching);
    }
    return OpenSetRule.continuous(planner, state, pool);
  }
}
