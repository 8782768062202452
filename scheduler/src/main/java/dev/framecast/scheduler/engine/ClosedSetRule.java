package dev.framecast.scheduler.engine;

import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.node.NodePool;
import dev.framecast.scheduler.pipeline.Pipeline;
import dev.framecast.scheduler.queue.ArrivalQueue;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A closed active set (static, request-level batching): a node takes jobs only when its set is
 * empty, as one group of one pipeline, formed once {@code maxBatch} ready jobs are queued or the
 * oldest has waited {@code maxDelay}, in arrival order. Members leave as their own steps end; none
 * joins until all have left. The group is one DiT batch, one request in flight.
 *
 * <p>The wait is data, not a sleep: {@link #fill} returns when the oldest waiting job's delay runs
 * out, and the loop plans again by then.
 */
final class ClosedSetRule implements ActiveSetRule {
  private final Seats seats;
  private final NodePool pool;
  private final ArrivalQueue queue;
  private final int maxBatch;
  private final Duration maxDelay;

  ClosedSetRule(
      Seats seats, NodePool pool, ArrivalQueue queue, SchedulingPolicy.StaticBatching policy) {
    this.seats = seats;
    this.pool = pool;
    this.queue = queue;
    this.maxBatch = policy.maxBatch();
    this.maxDelay = policy.maxDelay();
  }

  /** The group size: the policy's, capped by the pipeline's max batch size. */
  @Override
  public int batchSize(Node node, Pipeline pipeline) {
    return Math.max(1, Math.min(maxBatch, pipeline.maxBatchSize()));
  }

  @Override
  public int batchesInFlight(Node node, Pipeline pipeline, int batch) {
    return 1;
  }

  /**
   * Gives each idle node (empty active set) a group when one is due; returns the earliest time a
   * group falls due on an idle node that got none (its oldest job's delay runs out).
   */
  @Override
  public Instant fill(Instant now) {
    Instant wake = null;
    for (Node node : pool.healthy(Set.of())) {
      if (!seats.activeOn(node).isEmpty() || queue.size() == 0) {
        continue;
      }
      Group group = due(node, now);
      if (group.jobs() != null) {
        for (Job job : group.jobs()) {
          seats.join(job, node, now);
        }
      } else if (group.dueAt() != null && (wake == null || group.dueAt().isBefore(wake))) {
        wake = group.dueAt();
      }
    }
    return wake;
  }

  /**
   * A group for the node, or when the next one falls due.
   *
   * @param jobs the group to start now (null: none is due)
   * @param dueAt when the earliest candidate group falls due (null: no candidate)
   */
  private record Group(List<Job> jobs, Instant dueAt) {}

  /** What one pipeline's waiting jobs on a node amount to, in arrival order. */
  private static final class Candidates {
    final List<Job> jobs = new ArrayList<>();
    final Map<String, Integer> perTenant = new HashMap<>();
    Instant oldest;
  }

  /**
   * Reads the queue in arrival order, per pipeline the node can run: the first pipeline with a full
   * group is due at once; otherwise the one whose oldest job has waited the delay longest, if it
   * has. Jobs of tenants at their concurrency limit count for nothing.
   */
  private Group due(Node node, Instant now) {
    Map<Pipeline, Candidates> byPipeline = new LinkedHashMap<>();
    for (Job job : queue.inOrder()) {
      Pipeline pipeline = job.pipeline();
      if (!node.canRun(Set.of(pipeline.spec().dit()))) {
        continue;
      }
      Candidates candidates = byPipeline.computeIfAbsent(pipeline, p -> new Candidates());
      if (!seats.belowConcurrency(
          job.tenant(), candidates.perTenant.getOrDefault(job.tenant(), 0))) {
        continue;
      }
      Instant since = queue.readySince(job);
      if (candidates.oldest == null || since.isBefore(candidates.oldest)) {
        candidates.oldest = since;
      }
      if (candidates.jobs.size() < batchSize(node, pipeline)) {
        candidates.jobs.add(job);
        candidates.perTenant.merge(job.tenant(), 1, Integer::sum);
        if (candidates.jobs.size() == batchSize(node, pipeline)) {
          return new Group(candidates.jobs, null);
        }
      }
    }
    Candidates earliest = null;
    for (Candidates candidates : byPipeline.values()) {
      if (candidates.jobs.isEmpty()) {
        continue; // every job of it belongs to a tenant at its limit
      }
      if (earliest == null || candidates.oldest.isBefore(earliest.oldest)) {
        earliest = candidates;
      }
    }
    if (earliest == null) {
      return new Group(null, null);
    }
    Instant dueAt = earliest.oldest.plus(maxDelay);
    return now.isBefore(dueAt) ? new Group(null, dueAt) : new Group(earliest.jobs, null);
  }
}
