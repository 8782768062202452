package dev.framecast.scheduler.engine;

import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.node.NodePool;
import dev.framecast.scheduler.pipeline.Pipeline;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.ToIntBiFunction;

/**
 * An open active set: a job joins any node with room at every step boundary, in the ready queue's
 * order, least-loaded node first. Continuous batching sizes the set from the node's step-latency
 * profile (two batches' worth where RPC time matters) and lets an interactive job take a batch
 * job's slot; one-at-a-time (FCFS) is the same rule with a set of one and no preemption: a node
 * takes the next job when its job leaves.
 */
final class OpenSetRule implements ActiveSetRule {
  private final Seats seats;
  private final NodePool pool;
  private final ToIntBiFunction<Node, Pipeline> batchSize;
  private final InFlight batchesInFlight;
  private final boolean preemption;

  private OpenSetRule(
      Seats seats,
      NodePool pool,
      ToIntBiFunction<Node, Pipeline> batchSize,
      InFlight batchesInFlight,
      boolean preemption) {
    this.seats = seats;
    this.pool = pool;
    this.batchSize = batchSize;
    this.batchesInFlight = batchesInFlight;
    this.preemption = preemption;
  }

  /** Batch size from the node's profile, two batches in flight where RPC time matters. */
  static OpenSetRule continuous(Seats seats, StepSizing sizing, NodePool pool) {
    return new OpenSetRule(
        seats,
        pool,
        sizing::batchSize,
        (node, pipeline, batch) -> sizing.rpcMatters(node, pipeline, batch) ? 2 : 1,
        true);
  }

  /** One job per node, one request in flight, no preemption. */
  static OpenSetRule oneAtATime(Seats seats, NodePool pool) {
    return new OpenSetRule(seats, pool, (n, p) -> 1, (n, p, b) -> 1, false);
  }

  @Override
  public int batchSize(Node node, Pipeline pipeline) {
    return batchSize.applyAsInt(node, pipeline);
  }

  @Override
  public int batchesInFlight(Node node, Pipeline pipeline, int batch) {
    return batchesInFlight.of(node, pipeline, batch);
  }

  /** Jobs the node's active set holds: a batch's worth per batch in flight. */
  private int capacity(Node node, Pipeline pipeline) {
    int batch = batchSize(node, pipeline);
    return batch * batchesInFlight(node, pipeline, batch);
  }

  /** DiT batches in flight on a node, given its batch size. */
  @FunctionalInterface
  private interface InFlight {
    int of(Node node, Pipeline pipeline, int batch);
  }

  /**
   * Fills active sets in the queue's order, least-loaded node first, up to each node's capacity;
   * with preemption an interactive job may then take the place of a batch job.
   */
  @Override
  public Instant fill(Instant now) {
    // Pipelines with no room (and nothing to preempt) this tick: their jobs wait, the others go on.
    Set<Pipeline> full = new HashSet<>();
    while (seats.readyCount() > 0) {
      Job next =
          seats.peekReady(
              tenant -> seats.belowConcurrency(tenant, 0), job -> !full.contains(job.pipeline()));
      if (next == null) {
        break;
      }
      Optional<Node> node = roomiest(next);
      if (node.isEmpty()) {
        if (!preemption || !preempt(next, now)) {
          full.add(next.pipeline());
        }
        continue;
      }
      seats.join(next, node.get(), now);
    }
    return null;
  }

  /**
   * The least-loaded healthy node with room for the job, avoiding the node that last failed it when
   * another has room. Reading the breaker's state does not take its half-open trial; that is taken
   * when a batch is actually sent (see {@link Planner}'s step phase).
   */
  private Optional<Node> roomiest(Job job) {
    Pipeline pipeline = job.pipeline();
    Node best = null;
    Node avoided = null;
    double bestLoad = Double.MAX_VALUE;
    for (Node node : pool.healthy(Set.of(pipeline.spec().dit()))) {
      int capacity = capacity(node, pipeline);
      int activeJobs = seats.activeOn(node).size();
      if (activeJobs >= capacity) {
        continue;
      }
      if (node.name().equals(job.avoidNode())) {
        avoided = node;
        continue;
      }
      double load = (double) activeJobs / capacity;
      if (load < bestLoad) {
        best = node;
        bestLoad = load;
      }
    }
    return Optional.ofNullable(best != null ? best : avoided);
  }

  /**
   * An interactive job takes the slot of a batch job that is between steps: one of its own tenant's
   * if it has one, else another tenant's, but only while its tenant holds less than its fair share
   * of the pipeline's active jobs and the other holds more than its own (shares by weight among the
   * tenants with active jobs and this one). So an interactive burst of one tenant never takes more
   * than its share from another's batch work; beyond it, it waits its turn.
   */
  private boolean preempt(Job interactive, Instant now) {
    if (!interactive.interactive()) {
      return false;
    }
    Pipeline pipeline = interactive.pipeline();
    Map<String, Integer> active = new HashMap<>();
    int total = 0;
    for (Node node : seats.activeNodes()) {
      for (Job job : seats.activeOn(node)) {
        if (job.pipeline() == pipeline) {
          active.merge(job.tenant(), 1, Integer::sum);
          total++;
        }
      }
    }
    double weights = seats.weight(interactive.tenant());
    for (String tenant : active.keySet()) {
      if (!tenant.equals(interactive.tenant())) {
        weights += seats.weight(tenant);
      }
    }
    Job victim = null;
    Node victimNode = null;
    double victimExcess = 0;
    for (Node node : seats.activeNodes()) {
      if (!node.canRun(Set.of(pipeline.spec().dit()))) {
        continue;
      }
      for (Job job : seats.activeOn(node)) {
        if (job.interactive() || seats.inFlight(job) || job.pipeline() != pipeline) {
          continue;
        }
        if (job.tenant().equals(interactive.tenant())) {
          seats.requeue(job, node); // its own batch work: no one else's share is touched
          seats.join(interactive, node, now);
          return true;
        }
        double excess = active.get(job.tenant()) - total * seats.weight(job.tenant()) / weights;
        if (excess > victimExcess) {
          victim = job;
          victimNode = node;
          victimExcess = excess;
        }
      }
    }
    double share = total * seats.weight(interactive.tenant()) / weights;
    if (victim == null || active.getOrDefault(interactive.tenant(), 0) >= share) {
      return false;
    }
    seats.requeue(victim, victimNode);
    seats.join(interactive, victimNode, now);
    return true;
  }
}
