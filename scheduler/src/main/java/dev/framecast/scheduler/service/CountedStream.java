package dev.framecast.scheduler.service;

import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stream counted in its tenant's open streams from its subscription to its end (completion,
 * failure or cancellation), exactly once. Counting at subscription, not when the publisher is made,
 * means a stream never subscribed (its call failed first) is never counted and cannot leak.
 */
final class CountedStream<T> implements Flow.Publisher<T> {
  private final Flow.Publisher<T> upstream;
  private final AtomicInteger open;

  private CountedStream(Flow.Publisher<T> upstream, AtomicInteger open) {
    this.upstream = upstream;
    this.open = open;
  }

  static <T> Flow.Publisher<T> of(Flow.Publisher<T> upstream, AtomicInteger open) {
    return new CountedStream<>(upstream, open);
  }

  @Override
  public void subscribe(Flow.Subscriber<? super T> downstream) {
    open.incrementAndGet();
    AtomicBoolean ended = new AtomicBoolean();
    Runnable end =
        () -> {
          if (ended.compareAndSet(false, true)) {
            open.decrementAndGet();
          }
        };
    upstream.subscribe(
        new Flow.Subscriber<T>() {
          @Override
          public void onSubscribe(Flow.Subscription subscription) {
            downstream.onSubscribe(
                new Flow.Subscription() {
                  @Override
                  public void request(long n) {
                    subscription.request(n);
                  }

                  @Override
                  public void cancel() {
                    end.run();
                    subscription.cancel();
                  }
                });
          }

          @Override
          public void onNext(T item) {
            downstream.onNext(item);
          }

          @Override
          public void onError(Throwable error) {
            end.run();
            downstream.onError(error);
          }

          @Override
          public void onComplete() {
            end.run();
            downstream.onComplete();
          }
        });
  }
}
