package dev.framecast.scheduler.service;

import dev.framecast.api.v1.JobEvent;
import dev.framecast.scheduler.job.EventLog;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Streams a job's events to one client with gRPC flow control: it writes while the call is ready,
 * resumes in the on-ready handler, and pulls from the event log by seq, so a slow client holds no
 * buffer and never slows the loop. The loop only wakes it (non-blocking); writing happens on the
 * given executor, one drain at a time (a stream has one writer). Ends after the terminal event.
 */
public final class EventStreamer {
  private static final int BATCH = 64;

  private final EventLog log;
  private final ServerCallStreamObserver<JobEvent> call;
  private final Executor executor;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final Runnable wake = this::wake;
  private long lastSeq;
  private boolean done;

  private EventStreamer(
      EventLog log, ServerCallStreamObserver<JobEvent> call, Executor executor, long afterSeq) {
    this.log = log;
    this.call = call;
    this.executor = executor;
    this.lastSeq = afterSeq;
  }

  /** Starts streaming events after {@code afterSeq}; call from the RPC method before it returns. */
  public static EventStreamer start(
      EventLog log, ServerCallStreamObserver<JobEvent> call, Executor executor, long afterSeq) {
    EventStreamer streamer = new EventStreamer(log, call, executor, afterSeq);
    call.setOnCancelHandler(streamer::stop);
    call.setOnReadyHandler(streamer::wake);
    log.addListener(streamer.wake);
    streamer.wake();
    return streamer;
  }

  private void wake() {
    if (scheduled.compareAndSet(false, true)) {
      executor.execute(this::drain);
    }
  }

  private synchronized void drain() {
    scheduled.set(false);
    if (done) {
      return;
    }
    while (call.isReady() && !call.isCancelled()) {
      List<JobEvent> events = log.after(lastSeq, BATCH);
      if (events.isEmpty()) {
        if (log.closed() && lastSeq >= log.lastSeq()) {
          done = true;
          log.removeListener(wake);
          call.onCompleted();
        }
        return;
      }
      for (JobEvent event : events) {
        call.onNext(event);
        lastSeq = event.getSeq();
      }
    }
  }

  private synchronized void stop() {
    done = true;
    log.removeListener(wake);
  }
}
