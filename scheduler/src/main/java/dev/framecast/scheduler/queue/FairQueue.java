package dev.framecast.scheduler.queue;

import dev.framecast.scheduler.job.Job;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

/**
 * Start-time fair queueing over tenants on GPU-seconds: each tenant's virtual time advances by the
 * GPU-seconds its jobs consume divided by its weight, and the next job comes from the backlogged
 * tenant with the smallest virtual time. Inside a tenant, interactive jobs go before batch jobs,
 * each in arrival order. A tenant that returns from idle starts at the current minimum virtual
 * time, so idling banks no credit. Used only by the scheduler's loop thread.
 */
public final class FairQueue implements ReadyQueue {
  private final ToDoubleFunction<String> weights;
  private final Map<String, TenantQueue> tenants = new HashMap<>();

  /** The virtual time of the most recently served tenant: never decreases. */
  private double systemVirtualTime;

  /**
   * Every queued job's {@link #position}, computed in one pass on the first call after a change:
   * the loop asks for all of them at once, and one job at a time would cost the square of the
   * queue's length.
   */
  private Map<Job, Integer> positions;

  /**
   * @param weights a tenant's current weight (> 0), read at every charge
   */
  public FairQueue(ToDoubleFunction<String> weights) {
    this.weights = weights;
  }

  private static final class TenantQueue {
    final Deque<Job> interactive = new ArrayDeque<>();
    final Deque<Job> batch = new ArrayDeque<>();
    double virtualTime;

    boolean isEmpty() {
      return interactive.isEmpty() && batch.isEmpty();
    }

    Job head() {
      return !interactive.isEmpty() ? interactive.peekFirst() : batch.peekFirst();
    }

    int size() {
      return interactive.size() + batch.size();
    }
  }

  /** Queues a ready job; a preempted job goes back to the front of its class. */
  @Override
  public void add(Job job, boolean front) {
    TenantQueue queue = tenants.computeIfAbsent(job.tenant(), t -> new TenantQueue());
    if (queue.isEmpty()) {
      // A tenant (re)joining starts no earlier than the others: idling banks no credit, also
      // when nobody else is waiting right now.
      queue.virtualTime = Math.max(queue.virtualTime, floorVirtualTime());
    }
    positions = null;
    Deque<Job> deque = job.interactive() ? queue.interactive : queue.batch;
    if (front) {
      deque.addFirst(job);
    } else {
      deque.addLast(job);
    }
  }

  @Override
  public boolean remove(Job job) {
    TenantQueue queue = tenants.get(job.tenant());
    positions = null;
    return queue != null && (queue.interactive.remove(job) || queue.batch.remove(job));
  }

  /**
   * Takes the next job in fair order whose tenant passes {@code eligible} (e.g. below its
   * concurrency limit); null when none.
   */
  public Job poll(Predicate<String> eligible) {
    TenantQueue best = next(eligible);
    if (best == null) {
      return null;
    }
    systemVirtualTime = Math.max(systemVirtualTime, best.virtualTime);
    positions = null;
    return !best.interactive.isEmpty() ? best.interactive.pollFirst() : best.batch.pollFirst();
  }

  /**
   * The job fair order serves next among jobs that pass {@code usable} (e.g. whose pipeline has
   * room somewhere): per eligible tenant its first usable job, interactive before batch, from the
   * tenant with the smallest virtual time. Null when none.
   */
  @Override
  public Job peek(Predicate<String> eligible, Predicate<Job> usable) {
    Job best = null;
    TenantQueue bestQueue = null;
    String bestName = null;
    for (Map.Entry<String, TenantQueue> entry : tenants.entrySet()) {
      TenantQueue queue = entry.getValue();
      if (queue.isEmpty() || !eligible.test(entry.getKey())) {
        continue;
      }
      Job candidate = firstUsable(queue, usable);
      if (candidate != null
          && (bestQueue == null
              || before(queue.virtualTime, entry.getKey(), bestQueue.virtualTime, bestName))) {
        best = candidate;
        bestQueue = queue;
        bestName = entry.getKey();
      }
    }
    return best;
  }

  /** Takes a job peek returned; the tenant's virtual time becomes the system's floor. */
  @Override
  public boolean take(Job job) {
    TenantQueue queue = tenants.get(job.tenant());
    if (queue != null && (queue.interactive.remove(job) || queue.batch.remove(job))) {
      positions = null;
      systemVirtualTime = Math.max(systemVirtualTime, queue.virtualTime);
      return true;
    }
    return false;
  }

  private static Job firstUsable(TenantQueue queue, Predicate<Job> usable) {
    for (Job job : queue.interactive) {
      if (usable.test(job)) {
        return job;
      }
    }
    for (Job job : queue.batch) {
      if (usable.test(job)) {
        return job;
      }
    }
    return null;
  }

  /** The job poll would return, without taking it. */
  public Job peek(Predicate<String> eligible) {
    TenantQueue best = next(eligible);
    return best == null ? null : best.head();
  }

  /** The eligible backlogged tenant with the smallest virtual time; ties go by tenant name. */
  private TenantQueue next(Predicate<String> eligible) {
    TenantQueue best = null;
    String bestName = null;
    for (Map.Entry<String, TenantQueue> entry : tenants.entrySet()) {
      TenantQueue queue = entry.getValue();
      if (queue.isEmpty() || !eligible.test(entry.getKey())) {
        continue;
      }
      if (best == null || before(queue.virtualTime, entry.getKey(), best.virtualTime, bestName)) {
        best = queue;
        bestName = entry.getKey();
      }
    }
    return best;
  }

  private static boolean before(double vt, String name, double otherVt, String otherName) {
    return vt < otherVt || (vt == otherVt && name.compareTo(otherName) < 0);
  }

  @Override
  public double weight(String tenant) {
    return Math.max(1e-9, weights.applyAsDouble(tenant));
  }

  /** Charges GPU-seconds to a tenant: its virtual time advances by seconds / weight. */
  @Override
  public void charge(String tenant, double gpuSeconds) {
    TenantQueue queue = tenants.computeIfAbsent(tenant, t -> new TenantQueue());
    double weight = Math.max(1e-9, weights.applyAsDouble(tenant));
    queue.virtualTime += gpuSeconds / weight;
    positions = null;
  }

  public double virtualTime(String tenant) {
    TenantQueue queue = tenants.get(tenant);
    return queue == null ? 0 : queue.virtualTime;
  }

  @Override
  public int size() {
    int size = 0;
    for (TenantQueue queue : tenants.values()) {
      size += queue.size();
    }
    return size;
  }

  public int size(String tenant) {
    TenantQueue queue = tenants.get(tenant);
    return queue == null ? 0 : queue.size();
  }

  /**
   * Jobs ahead of {@code job}, estimated as fair order would serve them: those ahead in its own
   * tenant's queue, plus, from every other backlogged tenant, as many as would be served while this
   * tenant's earlier jobs are (weights taken as equal).
   */
  @Override
  public int position(Job job) {
    if (positions == null) {
      positions = allPositions();
    }
    return positions.getOrDefault(job, 0);
  }

  /** Every queued job's position, in time linear in the queue (times the tenants). */
  private Map<Job, Integer> allPositions() {
    Map<Job, Integer> all = new HashMap<>();
    for (Map.Entry<String, TenantQueue> mine : tenants.entrySet()) {
      TenantQueue own = mine.getValue();
      List<Job> order = new ArrayList<>(own.interactive);
      order.addAll(own.batch);
      for (int ahead = 0; ahead < order.size(); ahead++) {
        int position = ahead;
        for (Map.Entry<String, TenantQueue> entry : tenants.entrySet()) {
          if (entry.getValue() == own) {
            continue;
          }
          int others = entry.getValue().size();
          boolean servedFirst =
              before(entry.getValue().virtualTime, entry.getKey(), own.virtualTime, mine.getKey());
          position += Math.min(others, servedFirst ? ahead + 1 : ahead);
        }
        all.put(order.get(ahead), position);
      }
    }
    return all;
  }

  /** The smallest backlogged virtual time, or the system's when nobody waits. */
  private double floorVirtualTime() {
    double min = Double.POSITIVE_INFINITY;
    for (TenantQueue queue : tenants.values()) {
      if (!queue.isEmpty()) {
        min = Math.min(min, queue.virtualTime);
      }
    }
    return min == Double.POSITIVE_INFINITY ? systemVirtualTime : min;
  }
}
