package dev.framecast.scheduler.engine;

import dev.framecast.scheduler.job.Job;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * When jobs fail for time: past their own deadline (at their next step boundary: one with a request
 * in flight waits for it), or not started after waiting {@code noNodeTimeout} with no healthy node
 * up. Deadlines are kept earliest first, so a pass costs nothing until one falls due (a walk of
 * every live job on every pass had been a fifth of the loop's time with 1,000 jobs running). Loop
 * thread only.
 */
final class Timeouts {
  /** A job to fail now, and the status it fails with. */
  record Expired(Job job, Status status) {}

  private final Duration noNodeTimeout;
  private final Supplier<Map<String, String>> refusals;

  private final NavigableSet<Job> deadlines =
      new TreeSet<>(Comparator.comparing(Job::deadline).thenComparing(Job::id));

  /** Past their deadline, in flight when it fell due. */
  private final List<Job> overdue = new ArrayList<>();

  /** Since when jobs have waited while no healthy node was up (null: a node is up). */
  private Instant strandedSince;

  /**
   * @param refusals why nodes were refused, by node name (for the no-node failure's message)
   */
  Timeouts(Duration noNodeTimeout, Supplier<Map<String, String>> refusals) {
    this.noNodeTimeout = noNodeTimeout;
    this.refusals = refusals;
  }

  /** Watches the job's deadline, if it has one. */
  void watch(Job job) {
    if (job.deadline() != null) {
      deadlines.add(job);
    }
  }

  /** Stops watching a job that ended. */
  void forget(Job job) {
    if (job.deadline() != null) {
      deadlines.remove(job);
    }
  }

  /** What the last plan saw: jobs waiting on nodes with none up, or not. */
  void planned(Plan plan, Instant now) {
    strandedSince = plan.stranded() ? (strandedSince == null ? now : strandedSince) : null;
  }

  /** The jobs to fail now: past their deadline, or unstarted and stranded too long. */
  List<Expired> due(Instant now, Iterable<Job> live, Predicate<Job> inFlight) {
    List<Expired> due = new ArrayList<>();
    while (!deadlines.isEmpty() && now.isAfter(deadlines.first().deadline())) {
      overdue.add(deadlines.pollFirst());
    }
    for (Iterator<Job> it = overdue.iterator(); it.hasNext(); ) {
      Job job = it.next();
      if (job.phase().isTerminal()) {
        it.remove();
      } else if (!inFlight.test(job)) {
        it.remove();
        due.add(
            new Expired(
                job, Status.DEADLINE_EXCEEDED.withDescription("the job passed its deadline")));
      }
    }
    if (strandedSince != null && now.isAfter(strandedSince.plus(noNodeTimeout))) {
      strandedSince = null;
      String why = why();
      for (Job job : live) {
        if (!job.phase().isTerminal() && !inFlight.test(job) && job.started() == null) {
          due.add(
              new Expired(
                  job,
                  Status.UNAVAILABLE.withDescription(
                      "no healthy node can run pipeline '" + job.pipeline().name() + "'" + why)));
        }
      }
    }
    return due;
  }

  private String why() {
    Map<String, String> refused = refusals.get();
    return refused.isEmpty()
        ? ""
        : " (refused: "
            + refused.entrySet().stream()
                .map(e -> "node " + e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining("; "))
            + ")";
  }
}
