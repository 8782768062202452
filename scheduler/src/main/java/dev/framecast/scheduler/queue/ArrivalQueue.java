package dev.framecast.scheduler.queue;

import dev.framecast.scheduler.job.Job;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Global arrival order: every job in the order it was admitted ({@link Job#created()}), whatever
 * its tenant or priority, and GPU-seconds consumed change nothing. The order of the baselines a
 * load test compares the fair scheduler with (one job at a time per node, static batching). A job
 * sent back (failed node) keeps its place by arrival, so it is served before anything admitted
 * after it. Records when each job entered the line, for batching rules that wait. Used only by the
 * scheduler's loop thread.
 */
public final class ArrivalQueue implements ReadyQueue {
  /** A queued job: admission time, then insertion number (ties on a coarse clock). */
  private record Entry(Job job, Instant arrived, long sequence, Instant readySince) {}

  private static final Comparator<Entry> ORDER =
      Comparator.comparing(Entry::arrived).thenComparingLong(Entry::sequence);

  private final Clock clock;
  private final TreeSet<Entry> order = new TreeSet<>(ORDER);
  private final Map<Job, Entry> entries = new HashMap<>();
  private long nextSequence;
  private long nextFrontSequence;

  /** Positions by job, rebuilt on the first {@link #position} after a change. */
  private Map<Job, Integer> positions;

  /**
   * @param clock the time a job becomes ready ({@link #readySince})
   */
  public ArrivalQueue(Clock clock) {
    this.clock = clock;
  }

  @Override
  public void add(Job job, boolean front) {
    if (entries.containsKey(job)) {
      return;
    }
    // Among jobs admitted at the same instant, one sent back goes before those never started.
    long sequence = front ? -(++nextFrontSequence) : ++nextSequence;
    Entry entry = new Entry(job, job.created(), sequence, clock.instant());
    order.add(entry);
    entries.put(job, entry);
    positions = null;
  }

  @Override
  public boolean remove(Job job) {
    Entry entry = entries.remove(job);
    if (entry == null) {
      return false;
    }
    order.remove(entry);
    positions = null;
    return true;
  }

  @Override
  public Job peek(Predicate<String> eligible, Predicate<Job> usable) {
    for (Entry entry : order) {
      if (eligible.test(entry.job().tenant()) && usable.test(entry.job())) {
        return entry.job();
      }
    }
    return null;
  }

  @Override
  public boolean take(Job job) {
    return remove(job);
  }

  /** Arrival order ignores usage. */
  @Override
  public void charge(String tenant, double gpuSeconds) {}

  @Override
  public int size() {
    return entries.size();
  }

  @Override
  public int position(Job job) {
    if (positions == null) {
      positions = new HashMap<>();
      int index = 0;
      for (Entry entry : order) {
        positions.put(entry.job(), index++);
      }
    }
    return positions.getOrDefault(job, 0);
  }

  /** When the job last entered the line; null when it is not queued. */
  public Instant readySince(Job job) {
    Entry entry = entries.get(job);
    return entry == null ? null : entry.readySince();
  }

  /**
   * The queued jobs in arrival order, read in place: take nothing while iterating (collect first),
   * or the iteration fails.
   */
  public Iterable<Job> inOrder() {
    return () ->
        new Iterator<>() {
          private final Iterator<Entry> entries = order.iterator();

          @Override
          public boolean hasNext() {
            return entries.hasNext();
          }

          @Override
          public Job next() {
            return entries.next().job();
          }
        };
  }
}
