package dev.framecast.common.events;

import java.util.concurrent.Flow;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * One subscriber's stream that its server can end early ({@link OpenStreams}): {@link #interrupt}
 * cancels the upstream subscription and fails the subscriber with an error made from the last item
 * it received (so the error can name where to resume). Signals pass under one lock, so the error
 * comes after every item already delivered and nothing follows it. One subscriber.
 */
final class InterruptibleStream<T> implements Flow.Publisher<T> {
  private final Flow.Publisher<T> upstream;
  private final Runnable onEnd;
  private final ReentrantLock lock = new ReentrantLock();
  private Flow.Subscriber<? super T> subscriber; // guarded by lock
  private Flow.Subscription subscription; // guarded by lock
  private boolean ended; // guarded by lock
  private Function<T, Throwable> early; // guarded by lock: interrupted before it was subscribed
  private T last; // guarded by lock

  InterruptibleStream(Flow.Publisher<T> upstream, Runnable onEnd) {
    this.upstream = upstream;
    this.onEnd = onEnd;
  }

  @Override
  public void subscribe(Flow.Subscriber<? super T> downstream) {
    upstream.subscribe(
        new Flow.Subscriber<T>() {
          @Override
          public void onSubscribe(Flow.Subscription s) {
            Function<T, Throwable> interruptedEarly;
            lock.lock();
            try {
              subscriber = downstream;
              subscription = s;
              interruptedEarly = early;
            } finally {
              lock.unlock();
            }
            downstream.onSubscribe(
                new Flow.Subscription() {
                  @Override
                  public void request(long n) {
                    s.request(n);
                  }

                  @Override
                  public void cancel() {
                    s.cancel();
                    end();
                  }
                });
            if (interruptedEarly != null) {
              interrupt(interruptedEarly);
            }
          }

          @Override
          public void onNext(T item) {
            lock.lock();
            try {
              if (ended) {
                return;
              }
              last = item;
              downstream.onNext(item);
            } finally {
              lock.unlock();
            }
          }

          @Override
          public void onError(Throwable error) {
            if (end()) {
              downstream.onError(error);
            }
          }

          @Override
          public void onComplete() {
            if (end()) {
              downstream.onComplete();
            }
          }
        });
  }

  /** Marks the stream ended; true for the one caller that ended it. */
  private boolean end() {
    lock.lock();
    try {
      if (ended) {
        return false;
      }
      ended = true;
    } finally {
      lock.unlock();
    }
    onEnd.run();
    return true;
  }

  /**
   * Ends the stream now: nothing after the items already delivered, then the subscriber's {@code
   * onError(reason.apply(the last item delivered, or null))}. Does nothing to an ended stream.
   */
  void interrupt(Function<T, Throwable> reason) {
    lock.lock();
    try {
      if (ended) {
        return;
      }
      if (subscriber == null) {
        early = reason;
        return;
      }
      ended = true;
      // Under the lock: no item can slip in between.
      subscription.cancel();
      subscriber.onError(reason.apply(last));
    } finally {
      lock.unlock();
    }
    onEnd.run();
  }
}
