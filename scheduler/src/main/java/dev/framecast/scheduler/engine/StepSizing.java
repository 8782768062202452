package dev.framecast.scheduler.engine;

import dev.framecast.scheduler.batch.BatchSizer;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.pipeline.Pipeline;
import java.util.HashMap;
import java.util.Map;

/**
 * How many jobs one DiT batch on a node holds, and whether two batches should alternate on it, from
 * what {@link NodeStats} has learned. Profiles change only between ticks (results are applied
 * between them), so during a tick ({@link #beginTick} to {@link #endTick}) a node's batch size is
 * worked out once, not once for every job that might join it. Loop thread only.
 */
final class StepSizing {
  private final NodeStats stats;
  private final BatchSizer sizer;
  private final int maxInFlightPerNode;
  private final Map<Node, Map<Pipeline, Integer>> tickBatchSizes = new HashMap<>();
  private boolean ticking;

  StepSizing(NodeStats stats, BatchSizer sizer, int maxInFlightPerNode) {
    this.stats = stats;
    this.sizer = sizer;
    this.maxInFlightPerNode = maxInFlightPerNode;
  }

  /** From now until {@link #endTick}, each node's batch size is worked out once. */
  void beginTick() {
    ticking = true;
  }

  /** Forgets the tick's sizes: profiles may change before the next. */
  void endTick() {
    ticking = false;
    tickBatchSizes.clear();
  }

  /** Jobs one DiT batch on the node holds by the batch-size rule on its profile. */
  int batchSize(Node node, Pipeline pipeline) {
    if (!ticking) {
      return choose(node, pipeline);
    }
    return tickBatchSizes
        .computeIfAbsent(node, n -> new HashMap<>())
        .computeIfAbsent(pipeline, p -> choose(node, p));
  }

  private int choose(Node node, Pipeline pipeline) {
    int batch = sizer.choose(stats.profile(node), pipeline.maxBatchSize());
    Map<Integer, Double> compute = node.computeProfile(pipeline.spec().dit());
    if (batch > 1 && compute.size() >= 2) {
      // Round trips reward big batches for amortising RPC time, and every job in a batch waits for
      // all of it. Where the node's own compute says a smaller batch is as efficient and two such
      // micro-batches would alternate (RPC time matters at that size), hide the RPC by pipelining
      // instead: on a large DiT, whose compute gains nothing from batching, that keeps a job's
      // step from waiting for three others.
      int computeBatch = sizer.choose(stats.computeProfile(node, compute), pipeline.maxBatchSize());
      if (computeBatch < batch && rpcMatters(node, pipeline, computeBatch)) {
        batch = computeBatch;
      }
    }
    return batch;
  }

  /**
   * True when more than 10% of a step's round trip is not the node's compute (serialization,
   * network, queueing): then two micro-batches alternate, so the node computes one while the
   * other's result is applied and its next request travels.
   */
  boolean rpcMatters(Node node, Pipeline pipeline, int batch) {
    if (maxInFlightPerNode < 2) {
      return false;
    }
    double roundTrip = stats.profile(node).latency(batch);
    double compute = node.computeSeconds(pipeline.spec().dit(), batch);
    // The node idles for the whole cycle minus its compute: the round trip's transfers and
    // queueing, and the loop's turnaround between a result and the next request.
    double cycle = stats.cycleSeconds(node);
    double period = Double.isFinite(cycle) ? Math.max(roundTrip, cycle) : roundTrip;
    return Double.isFinite(period) && Double.isFinite(compute) && period - compute > 0.1 * period;
  }
}
