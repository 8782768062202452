package dev.framecast.scheduler.store;

import dev.framecast.api.v1.JobEvent;
import dev.framecast.common.events.EventLog;
import dev.framecast.scheduler.engine.Journal;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.job.JobRecord;
import java.sql.SQLException;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The engine's {@link Journal} on a {@link JobStore}: one thread writes jobs' changes in group
 * commits, so the loop never waits on the database.
 *
 * <p>The loop only marks a job changed (a flag and, the first time, a queue entry); the writer
 * takes every marked job at once, reads each job's new events and public state (events first: a
 * job's phase is terminal before its terminal event is appended), and writes them all in one
 * transaction. While it commits, new changes gather for the next one: the busier the scheduler, the
 * more each commit carries. After a commit it shows the events to readers ({@link
 * EventLog#release}) and completes the admissions it carried.
 *
 * <p>Bounds: a job is in the queue at most once, so the queue never holds more than the jobs the
 * engine holds (bounded by its own limits); one commit carries at most {@code maxBatch} jobs.
 *
 * <p>When a commit fails (the database is down) nothing is lost: the jobs are marked again and the
 * writer retries with backoff; readers meanwhile see no new events, and submissions are not
 * acknowledged.
 */
public final class StoreWriter implements Journal, AutoCloseable {
  private static final Logger LOG = Logger.getLogger(StoreWriter.class.getName());
  private static final int MAX_EVENTS_PER_JOB = 4096;

  /** What the writer reports (metrics). */
  public interface Listener {
    void committed(int jobs, int events, long nanos);

    void failed(SQLException error);

    Listener NONE =
        new Listener() {
          @Override
          public void committed(int jobs, int events, long nanos) {}

          @Override
          public void failed(SQLException error) {}
        };
  }

  /** One job the writer follows until its terminal event is stored. Writer thread, but flag. */
  private static final class Tracked {
    final Job job;
    final AtomicBoolean marked = new AtomicBoolean();
    final CompletableFuture<Void> stored = new CompletableFuture<>();
    String key;
    byte[] keyedRequest;
    boolean inserted;
    long storedSeq;
    double storedGpuSeconds;
    JobPhase storedPhase = JobPhase.QUEUED;

    Tracked(Job job) {
      this.job = job;
    }
  }

  private final JobStore store;
  private final Clock clock;
  private final int maxBatch;
  private final Listener listener;
  private final JobStore.Fence fence;
  private final Runnable onFenced;
  private volatile boolean fenced;
  private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();
  private final BlockingQueue<Tracked> marked = new LinkedBlockingQueue<>();
  private final Thread thread;
  private volatile boolean running = true;

  /** A writer with no lease to check (one scheduler on its store: tests, benchmarks). */
  public StoreWriter(JobStore store, Clock clock, int maxBatch, Listener listener) {
    this(store, clock, maxBatch, listener, null, () -> {});
  }

  /**
   * @param fence the lease every commit checks, or null for none
   * @param onFenced called (once, on the writer's thread) when a commit is refused because another
   *     scheduler took the lease; the writer then stops and writes nothing more
   */
  public StoreWriter(
      JobStore store,
      Clock clock,
      int maxBatch,
      Listener listener,
      JobStore.Fence fence,
      Runnable onFenced) {
    this.fence = fence;
    this.onFenced = onFenced;
    this.store = store;
    this.clock = clock;
    this.maxBatch = maxBatch;
    this.listener = listener;
    this.thread = new Thread(this::run, "framecast-store-writer");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public boolean durable() {
    return true;
  }

  @Override
  public CompletableFuture<Void> admitted(Job job, byte[] keyedRequest) {
    Tracked t = new Tracked(job);
    if (keyedRequest != null && !job.spec().idempotencyKey().isEmpty()) {
      t.key = job.spec().idempotencyKey();
      t.keyedRequest = keyedRequest;
    }
    tracked.put(job.id(), t);
    mark(t);
    return t.stored;
  }

  @Override
  public void resumed(Job job, double storedGpuSeconds) {
    Tracked t = new Tracked(job);
    t.inserted = true;
    t.storedSeq = job.events().appendedSeq();
    t.storedGpuSeconds = storedGpuSeconds;
    t.stored.complete(null);
    tracked.put(job.id(), t);
    // The job starts again from its first step with no GPU time: the next commit gives the tenant
    // back what the lost run was charged, and the rerun is charged as it goes.
    mark(t);
  }

  @Override
  public void changed(Job job) {
    Tracked t = tracked.get(job.id());
    if (t != null) {
      mark(t);
    }
  }

  private void mark(Tracked t) {
    if (t.marked.compareAndSet(false, true)) {
      marked.add(t);
    }
  }

  /** Jobs waiting for their changes to be written. */
  public int backlog() {
    return marked.size();
  }

  /** Jobs followed (not yet stored as ended). */
  public int following() {
    return tracked.size();
  }

  private void run() {
    List<Tracked> batch = new ArrayList<>();
    long backoffMillis = 0;
    while ((running || !marked.isEmpty()) && !fenced) {
      try {
        Tracked first = marked.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        marked.drainTo(batch, maxBatch - 1);
        if (commit(batch)) {
          backoffMillis = 0;
        } else {
          backoffMillis = Math.min(2_000, Math.max(50, backoffMillis * 2));
          Thread.sleep(backoffMillis);
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException | Error e) {
        LOG.log(Level.SEVERE, "job store writer error", e);
        batch.forEach(this::mark);
      } finally {
        batch.clear();
      }
    }
  }

  /** Writes the batch in one transaction; false (and the jobs marked again) when it failed. */
  private boolean commit(List<Tracked> batch) {
    LocalDate day = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    List<JobStore.JobWrite> writes = new ArrayList<>(batch.size());
    int eventCount = 0;
    for (Tracked t : batch) {
      // Cleared before reading, so a change made while this commit runs marks the job again.
      t.marked.set(false);
      writes.add(snapshot(t, day));
      eventCount += writes.get(writes.size() - 1).events().size();
    }
    long start = System.nanoTime();
    try {
      store.write(writes, fence);
    } catch (JobStore.FencedException e) {
      // Another scheduler leads and has taken these jobs back from the store: nothing more may
      // be written or shown from here.
      LOG.severe("job store commit refused: " + e.getMessage());
      listener.failed(e);
      fenced = true;
      onFenced.run();
      return false;
    } catch (SQLException | JobStore.StoreException e) {
      SQLException cause =
          e instanceof SQLException sql ? sql : new SQLException(e.getMessage(), e);
      LOG.warning("job store write of " + batch.size() + " jobs failed (retrying): " + e);
      listener.failed(cause);
      batch.forEach(this::mark);
      return false;
    }
    listener.committed(batch.size(), eventCount, System.nanoTime() - start);
    for (int i = 0; i < batch.size(); i++) {
      committed(batch.get(i), writes.get(i));
    }
    return true;
  }

  private JobStore.JobWrite snapshot(Tracked t, LocalDate day) {
    Job job = t.job;
    List<JobEvent> events = job.events().pending(t.storedSeq, MAX_EVENTS_PER_JOB);
    long lastSeq = t.storedSeq + events.size();
    boolean ended = events.stream().anyMatch(EventLog::isTerminal);
    // The phase after the events were read; a terminal phase is written only with its terminal
    // event, so a stored job is never ended without the event that tells its readers so.
    JobPhase phase = job.phase();
    if (phase.isTerminal() && !ended) {
      phase = t.storedPhase;
      mark(t);
    }
    JobRecord record = job.record(phase, lastSeq);
    return new JobStore.JobWrite(
        record,
        !t.inserted,
        events,
        t.inserted ? null : t.key,
        t.keyedRequest,
        day,
        record.gpuSeconds() - t.storedGpuSeconds,
        ended ? phase : null);
  }

  private void committed(Tracked t, JobStore.JobWrite write) {
    t.inserted = true;
    t.storedSeq = write.record().lastSeq();
    t.storedGpuSeconds = write.record().gpuSeconds();
    t.storedPhase = write.record().phase();
    t.job.events().release(t.storedSeq);
    t.stored.complete(null);
    if (write.outcome() != null) {
      tracked.remove(t.job.id());
    } else if (t.job.events().appendedSeq() > t.storedSeq) {
      mark(t); // more events than one write carries
    }
  }

  /** Writes what is marked, then stops (waits at most {@code timeoutMillis}). */
  @Override
  public void close() {
    close(5_000);
  }

  public void close(long timeoutMillis) {
    running = false;
    try {
      thread.join(timeoutMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    thread.interrupt();
  }
}
