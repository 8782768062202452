package dev.framecast.common.events;

import com.google.protobuf.ByteString;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.Progress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A job's ordered events (seq 1, 2, 3, ...). The loop thread appends; readers pull everything after
 * the last seq they saw, at their own pace, so a slow reader never holds up the loop. Memory is
 * bounded: only the newest preview image is kept (older progress events keep their step numbers),
 * and the total size is capped.
 *
 * <p>A <em>gated</em> log (a scheduler with a durable job store) shows readers only the events the
 * store has committed ({@link #release}): a client that resumes after a restart with the last seq
 * it saw then finds exactly the events after it, never one that was lost with the process. The
 * appending side ({@link #pending}, {@link #appendedSeq}, {@link #sealed}) sees everything.
 */
public final class EventLog {
  private final String jobId;
  private final long maxBytes;
  private final boolean gated;
  private final List<JobEvent> events = new ArrayList<>();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private long bytes;
  private int lastPreviewIndex = -1;
  private boolean closed;

  /** Events readers may see: all of them when ungated, the committed prefix when gated. */
  private long visible;

  /** An ungated log: readers see each event as it is appended. */
  public EventLog(String jobId, long maxBytes) {
    this(jobId, maxBytes, false);
  }

  private EventLog(String jobId, long maxBytes, boolean gated) {
    this.jobId = jobId;
    this.maxBytes = maxBytes;
    this.gated = gated;
  }

  /** A log whose readers see events only once {@link #release}d (committed to a store). */
  public static EventLog gated(String jobId, long maxBytes) {
    return new EventLog(jobId, maxBytes, true);
  }

  /**
   * A gated log that continues a stored history (seq 1..n, already committed): the next event
   * appended is n + 1.
   */
  public static EventLog resumed(String jobId, long maxBytes, List<JobEvent> history) {
    EventLog log = new EventLog(jobId, maxBytes, true);
    for (JobEvent event : history) {
      if (event.getSeq() != log.events.size() + 1L) {
        throw new IllegalArgumentException(
            "the stored events of job "
                + jobId
                + " skip from "
                + log.events.size()
                + " to "
                + event.getSeq());
      }
      if (isTerminal(event)) {
        throw new IllegalArgumentException("job " + jobId + " has ended: nothing to resume");
      }
      log.events.add(event);
      log.bytes += event.getSerializedSize();
    }
    log.visible = log.events.size();
    return log;
  }

  /**
   * A log to read a stored history from (a job no longer held in memory): every event visible,
   * closed if the history ends with a terminal event.
   */
  public static EventLog replay(String jobId, List<JobEvent> history) {
    EventLog log = new EventLog(jobId, Long.MAX_VALUE, true);
    for (JobEvent event : history) {
      log.events.add(event);
      log.closed |= isTerminal(event);
    }
    log.visible = log.events.size();
    return log;
  }

  /** Appends an event (seq and time filled in) and wakes the readers. */
  public JobEvent append(JobEvent.Builder event, Instant time) {
    JobEvent appended;
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("event log of job " + jobId + " is closed");
      }
      appended =
          event
              .setJobId(jobId)
              .setSeq(events.size() + 1L)
              .setTime(
                  com.google.protobuf.Timestamp.newBuilder()
                      .setSeconds(time.getEpochSecond())
                      .setNanos(time.getNano()))
              .build();
      // The bound is checked before anything changes, so a refused event leaves the log as it
      // was; terminal events are exempt so that a job can always end.
      if (!isTerminal(appended) && bytes + appended.getSerializedSize() > maxBytes) {
        throw new EventLogFullException(jobId, maxBytes);
      }
      if (appended.hasProgress() && !appended.getProgress().getPreviewPng().isEmpty()) {
        coalescePreviews();
        lastPreviewIndex = events.size();
      }
      events.add(appended);
      bytes += appended.getSerializedSize();
      if (isTerminal(appended)) {
        closed = true;
      }
      if (!gated) {
        visible = events.size();
      }
    }
    if (!gated) {
      listeners.forEach(Runnable::run);
    }
    return appended;
  }

  /**
   * Shows readers the events up to {@code seq} (a gated log's store committed them) and wakes them.
   * Never moves back.
   */
  public void release(long seq) {
    synchronized (this) {
      if (seq > events.size()) {
        throw new IllegalArgumentException(
            "job " + jobId + ": cannot release seq " + seq + " of " + events.size());
      }
      if (seq <= visible) {
        return;
      }
      visible = seq;
    }
    listeners.forEach(Runnable::run);
  }

  /** Events appended with seq > afterSeq, released or not (the store's writer), at most max. */
  public synchronized List<JobEvent> pending(long afterSeq, int max) {
    return slice(afterSeq, max, events.size());
  }

  /** The seq of the last event appended, released or not. */
  public synchronized long appendedSeq() {
    return events.size();
  }

  /** True once a terminal event was appended (released or not): nothing more may be appended. */
  public synchronized boolean sealed() {
    return closed;
  }

  /** Drops the previous preview image: a reader that catches up only needs the newest one. */
  private void coalescePreviews() {
    if (lastPreviewIndex < 0) {
      return;
    }
    JobEvent old = events.get(lastPreviewIndex);
    Progress stripped = old.getProgress().toBuilder().setPreviewPng(ByteString.EMPTY).build();
    JobEvent replaced = old.toBuilder().setProgress(stripped).build();
    bytes += replaced.getSerializedSize() - old.getSerializedSize();
    events.set(lastPreviewIndex, replaced);
  }

  /** Events readers may see with seq > afterSeq, at most {@code max} of them. */
  public synchronized List<JobEvent> after(long afterSeq, int max) {
    return slice(afterSeq, max, visible);
  }

  private List<JobEvent> slice(long afterSeq, int max, long end) {
    int from = (int) Math.max(0, Math.min(afterSeq, end));
    int to = (int) Math.min(end, (long) from + Math.max(0, max));
    return new ArrayList<>(events.subList(from, to));
  }

  /** The seq of the last event readers may see. */
  public synchronized long lastSeq() {
    return visible;
  }

  /** True once readers may see a terminal event (completed, failed, cancelled). */
  public synchronized boolean closed() {
    return closed && visible == events.size();
  }

  /** Called (on the appending thread; must not block) after every append. */
  public void addListener(Runnable listener) {
    listeners.add(listener);
  }

  /** Listeners registered now (streams following the job). */
  public int listenerCount() {
    return listeners.size();
  }

  public void removeListener(Runnable listener) {
    listeners.remove(listener);
  }

  /** The job's events would exceed their bound. */
  public static final class EventLogFullException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    EventLogFullException(String jobId, long maxBytes) {
      super("the events of job " + jobId + " would exceed their bound of " + maxBytes + " bytes");
    }
  }

  public static boolean isTerminal(JobEvent event) {
    return event.hasCompleted() || event.hasFailed() || event.hasCancelled();
  }
}
