package dev.framecast.common.events;

import dev.framecast.api.v1.JobEvent;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A job's events after a given seq as a {@link Flow.Publisher} that emits only what its subscriber
 * asked for. It pulls from the event log by seq, so a slow subscriber holds no buffer and never
 * slows the loop, which only wakes it (non-blocking). Emission happens on the given executor, one
 * drain at a time (the usual work-in-progress counter), so the subscriber sees one thread at a
 * time. Completes after the terminal event. One subscriber per instance.
 */
public final class EventLogPublisher implements Flow.Publisher<JobEvent> {
  private static final int BATCH = 64;

  private final EventLog log;
  private final long afterSeq;
  private final Executor executor;

  public EventLogPublisher(EventLog log, long afterSeq, Executor executor) {
    this.log = log;
    this.afterSeq = afterSeq;
    this.executor = executor;
  }

  @Override
  public void subscribe(Flow.Subscriber<? super JobEvent> subscriber) {
    Drain drain = new Drain(subscriber);
    subscriber.onSubscribe(drain);
    log.addListener(drain.wake);
    // onSubscribe may have asked for events, and a drain on another thread may already have ended
    // (completed or cancelled) and removed a listener not yet added: take it off again, or it
    // would keep the drain and its subscriber for as long as the job is kept.
    if (drain.cancelled || drain.done) {
      log.removeListener(drain.wake);
    }
    drain.wake();
  }

  private final class Drain implements Flow.Subscription {
    private final Flow.Subscriber<? super JobEvent> subscriber;
    private final AtomicInteger wip = new AtomicInteger();
    private final AtomicLong demand = new AtomicLong();
    private final Runnable wake = this::wake;
    private volatile boolean cancelled;
    private long lastSeq = afterSeq; // only the draining thread touches it
    private volatile boolean done; // set before the listener is removed

    Drain(Flow.Subscriber<? super JobEvent> subscriber) {
      this.subscriber = subscriber;
    }

    @Override
    public void request(long n) {
      if (n <= 0) {
        cancel();
        subscriber.onError(new IllegalArgumentException("request(" + n + "): must be positive"));
        return;
      }
      demand.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
      wake();
    }

    @Override
    public void cancel() {
      cancelled = true;
      log.removeListener(wake);
    }

    void wake() {
      if (wip.getAndIncrement() == 0) {
        executor.execute(this::drain);
      }
    }

    private void drain() {
      int missed = 1;
      do {
        emit();
        missed = wip.addAndGet(-missed);
      } while (missed != 0);
    }

    private void emit() {
      while (!done && !cancelled) {
        long wanted = demand.get();
        List<JobEvent> events =
            wanted == 0 ? List.of() : log.after(lastSeq, (int) Math.min(wanted, BATCH));
        if (events.isEmpty()) {
          // Closed is read before lastSeq so an event appended in between is not skipped.
          if (log.closed() && lastSeq >= log.lastSeq()) {
            done = true;
            log.removeListener(wake);
            subscriber.onComplete();
          }
          return;
        }
        for (JobEvent event : events) {
          if (cancelled) {
            return;
          }
          demand.decrementAndGet();
          lastSeq = event.getSeq();
          subscriber.onNext(event);
        }
      }
    }
  }
}
