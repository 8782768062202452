package dev.framecast.scheduler.engine;

import dev.framecast.scheduler.job.Job;
import java.util.Collections;
import java.util.Comparator;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The index of jobs by id that any thread reads (GetJob, ListJobs, admission's counts): jobs that
 * have not ended ("live") and ended ones up to the retention bound. It holds no job state: where a
 * job is and what it holds belongs to {@link JobLines}, on the loop thread. A job is indexed by the
 * submitting thread before the loop takes it, so that a GetJob right after Submit finds it, and
 * retired by the loop when it ends.
 */
final class JobTable {
  private final Map<String, Job> jobs = new ConcurrentHashMap<>();

  /** Newest first; the same job set, per tenant, so a ListJobs page costs its size, not a sort. */
  private static final Comparator<Job> NEWEST_FIRST =
      Comparator.comparing(Job::created).reversed().thenComparing(Job::id);

  private final Map<String, NavigableSet<Job>> byTenant = new ConcurrentHashMap<>();

  /**
   * Jobs that have not ended, plus those that ended during the loop's current pass: what the
   * per-tenant counts, queue positions and the no-node timeout walk, instead of every retained job.
   */
  private final Set<Job> live = ConcurrentHashMap.newKeySet();

  /** Ended jobs in the order the loop saw them end: the retention bound forgets from its head. */
  private final Queue<Job> ended = new ConcurrentLinkedQueue<>();

  private final int maxJobs;

  JobTable(int maxJobs) {
    this.maxJobs = maxJobs;
  }

  /** Indexes a submitted job (the submitting thread). */
  void add(Job job) {
    jobs.put(job.id(), job);
    byTenant.computeIfAbsent(job.tenant(), t -> new ConcurrentSkipListSet<>(NEWEST_FIRST)).add(job);
    live.add(job);
  }

  /** Takes back a job whose submit was refused before the loop saw it. */
  void withdraw(Job job) {
    live.remove(job);
    jobs.remove(job.id());
    unindex(job);
  }

  private void unindex(Job job) {
    NavigableSet<Job> tenant = byTenant.get(job.tenant());
    if (tenant != null) {
      tenant.remove(job);
    }
  }

  /** A job ended (loop thread): it is kept for reading until the bound forgets it. */
  void retire(Job job) {
    if (live.remove(job)) {
      ended.add(job);
    }
  }

  /**
   * Ended jobs beyond the retention bound are forgotten, those that ended first first; constant
   * work per forgotten job. Jobs that have not ended are never forgotten, so the bound can be
   * exceeded by jobs still running.
   */
  void forgetOld() {
    while (jobs.size() > maxJobs) {
      Job oldest = ended.poll();
      if (oldest == null) {
        return;
      }
      jobs.remove(oldest.id());
      unindex(oldest);
    }
  }

  /**
   * Forgets an ended job now (it was deleted); false when it has not ended. Its entry in the
   * retention queue stays until the bound reaches it, forgetting nothing then.
   */
  boolean forget(Job job) {
    if (!job.phase().isTerminal() || live.contains(job)) {
      return false;
    }
    if (jobs.remove(job.id(), job)) {
      unindex(job);
    }
    return true;
  }

  Optional<Job> get(String id) {
    return Optional.ofNullable(jobs.get(id));
  }

  /** Jobs that have not ended (and those ending in the loop's current pass). */
  Iterable<Job> live() {
    return live;
  }

  /**
   * A tenant's jobs, newest first (creation time, then id): a live, sorted view, so a page is read
   * from any job on ({@code tailSet}) without sorting or copying the rest.
   */
  NavigableSet<Job> ofTenant(String tenant) {
    NavigableSet<Job> set = byTenant.get(tenant);
    return set == null
        ? Collections.emptyNavigableSet()
        : Collections.unmodifiableNavigableSet(set);
  }

  /** Tenants with jobs kept. */
  Set<String> tenants() {
    Set<String> tenants = new TreeSet<>();
    jobs.values().forEach(j -> tenants.add(j.tenant()));
    return tenants;
  }

  /** Jobs that have not ended (any tenant). */
  int unfinished() {
    int count = 0;
    for (Job job : live) {
      if (!job.phase().isTerminal()) {
        count++;
      }
    }
    return count;
  }

  /** Jobs of the tenant admitted and not yet started or ended. */
  int waiting(String tenant) {
    int waiting = 0;
    for (Job job : live) {
      if (job.tenant().equals(tenant) && job.started() == null && !job.phase().isTerminal()) {
        waiting++;
      }
    }
    return waiting;
  }

  /** Jobs of the tenant started and not yet ended. */
  int running(String tenant) {
    int running = 0;
    for (Job job : live) {
      if (job.tenant().equals(tenant) && job.started() != null && !job.phase().isTerminal()) {
        running++;
      }
    }
    return running;
  }
}
