package dev.framecast.scheduler.queue;

import dev.framecast.scheduler.job.Job;
import java.util.function.Predicate;

/**
 * The line of encoded jobs waiting for a place in an active set, and the order it serves them in.
 * The scheduler's loop thread is its only user. {@link FairQueue} serves tenants in weighted-fair
 * order; {@link ArrivalQueue} serves every job in arrival order, tenants and priorities ignored
 * (the baselines' order).
 */
public interface ReadyQueue {
  /**
   * Queues a ready job; {@code front} when it had started and was sent back (preempted, failed).
   */
  void add(Job job, boolean front);

  /** Removes a job wherever it is in line; false when it was not queued. */
  boolean remove(Job job);

  /**
   * The job this order serves next among jobs whose tenant passes {@code eligible} (e.g. below its
   * concurrency limit) and that pass {@code usable} (e.g. whose pipeline has room somewhere); null
   * when none. Takes nothing.
   */
  Job peek(Predicate<String> eligible, Predicate<Job> usable);

  /** Takes a job {@link #peek} returned: served in this order's terms; false when not queued. */
  boolean take(Job job);

  /** GPU-seconds a tenant's jobs consumed; orders that do not depend on usage ignore it. */
  void charge(String tenant, double gpuSeconds);

  /** Jobs queued. */
  int size();

  /** The tenant's fair-share weight in this order (1 for orders without fair share). */
  default double weight(String tenant) {
    return 1.0;
  }

  /** Jobs ahead of {@code job} (an estimate where the order depends on future usage). */
  int position(Job job);
}
