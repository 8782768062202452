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
 */
public final class EventLog {
  private final String jobId;
  private final long maxBytes;
  private final List<JobEvent> events = new ArrayList<>();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private long bytes;
  private int lastPreviewIndex = -1;
  private boolean closed;

  public EventLog(String jobId, long maxBytes) {
    this.jobId = jobId;
    this.maxBytes = maxBytes;
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
    }
    listeners.forEach(Runnable::run);
    return appended;
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

  /** Events with seq > afterSeq, at most {@code max} of them. */
  public synchronized List<JobEvent> after(long afterSeq, int max) {
    int from = (int) Math.max(0, Math.min(afterSeq, events.size()));
    int to = (int) Math.min(events.size(), (long) from + Math.max(0, max));
    return new ArrayList<>(events.subList(from, to));
  }

  public synchronized long lastSeq() {
    return events.size();
  }

  /** True once a terminal event (completed, failed, cancelled) was appended. */
  public synchronized boolean closed() {
    return closed;
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
