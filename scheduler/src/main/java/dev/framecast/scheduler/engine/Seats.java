package dev.framecast.scheduler.engine;

import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.node.Node;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What an {@link ActiveSetRule} sees of the engine's state and the only moves it may make: ready
 * jobs join active sets, and jobs between steps go back to the ready queue. {@link JobLines}
 * implements it; the rules never see the planner.
 */
interface Seats {
  /** Jobs in the ready queue. */
  int readyCount();

  /**
   * The job the ready queue serves next among jobs whose tenant passes {@code eligible} and that
   * pass {@code usable}; null when none. Takes nothing.
   */
  Job peekReady(Predicate<String> eligible, Predicate<Job> usable);

  /** True when the tenant may start one more job besides {@code pending} it is about to start. */
  boolean belowConcurrency(String tenant, int pending);

  /** The node's active set (read-only; empty when it has none). */
  List<Job> activeOn(Node node);

  /** Nodes with an active set. */
  Set<Node> activeNodes();

  /** True while a request for the job is in flight. */
  boolean inFlight(Job job);

  /** The tenant's fair-share weight (what bounds preemption across tenants). */
  double weight(String tenant);

  /** A ready job joins the node's active set. */
  void join(Job job, Node node, Instant now);

  /** A job between steps leaves the node's active set for the head of the ready queue. */
  void requeue(Job job, Node node);
}
