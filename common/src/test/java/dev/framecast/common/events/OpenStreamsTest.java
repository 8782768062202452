package dev.framecast.common.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class OpenStreamsTest {
  /** A publisher whose items the test pushes, and which records whether it was cancelled. */
  static final class Source implements Flow.Publisher<Integer> {
    Flow.Subscriber<? super Integer> subscriber;
    final AtomicBoolean cancelled = new AtomicBoolean();

    @Override
    public void subscribe(Flow.Subscriber<? super Integer> s) {
      subscriber = s;
      s.onSubscribe(
          new Flow.Subscription() {
            @Override
            public void request(long n) {}

            @Override
            public void cancel() {
              cancelled.set(true);
            }
          });
    }

    void push(int item) {
      subscriber.onNext(item);
    }
  }

  /** Records what a stream delivered, and how it ended. */
  static final class Sink implements Flow.Subscriber<Integer> {
    final List<Integer> items = new CopyOnWriteArrayList<>();
    final AtomicReference<Throwable> error = new AtomicReference<>();
    final AtomicBoolean completed = new AtomicBoolean();

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(Integer item) {
      items.add(item);
    }

    @Override
    public void onError(Throwable throwable) {
      error.set(throwable);
    }

    @Override
    public void onComplete() {
      completed.set(true);
    }
  }

  @Test
  void interruptingEndsEachOpenStreamAfterWhatItDeliveredAndCancelsItsSource() {
    OpenStreams<Integer> streams = new OpenStreams<>();
    Source first = new Source();
    Source second = new Source();
    Sink a = new Sink();
    Sink b = new Sink();
    streams.track(first).subscribe(a);
    streams.track(second).subscribe(b);
    first.push(1);
    first.push(2);
    second.push(7);
    assertThat(streams.size()).isEqualTo(2);

    int ended = streams.interruptAll(last -> new IllegalStateException("resume after " + last));

    assertThat(ended).isEqualTo(2);
    assertThat(a.items).containsExactly(1, 2);
    assertThat(a.error.get()).hasMessage("resume after 2");
    assertThat(b.error.get()).hasMessage("resume after 7");
    assertThat(first.cancelled).isTrue();
    assertThat(second.cancelled).isTrue();
    first.push(3); // a late item from the source is dropped
    assertThat(a.items).containsExactly(1, 2);
    assertThat(streams.size()).isZero();
  }

  @Test
  void aStreamThatEndedByItselfIsForgottenAndNotInterrupted() {
    OpenStreams<Integer> streams = new OpenStreams<>();
    Source source = new Source();
    Sink sink = new Sink();
    streams.track(source).subscribe(sink);
    source.push(1);
    source.subscriber.onComplete();
    assertThat(streams.size()).isZero();
    assertThat(streams.interruptAll(last -> new IllegalStateException("late"))).isZero();
    assertThat(sink.completed).isTrue();
    assertThat(sink.error.get()).isNull();
  }

  @Test
  void afterCloseEveryNewStreamEndsAtOnceAndBeforeItTheServerServes() {
    OpenStreams<Integer> streams = new OpenStreams<>();
    Sink before = new Sink();
    Source source = new Source();
    streams.track(source).subscribe(before);
    streams.interruptAll(last -> new IllegalStateException("first"));
    Sink served = new Sink();
    Source next = new Source();
    streams.track(next).subscribe(served);
    next.push(5);
    assertThat(served.items).containsExactly(5);
    assertThat(served.error.get()).isNull();

    streams.close(last -> new IllegalStateException("stopping after " + last));
    assertThat(served.error.get()).hasMessage("stopping after 5");
    Sink late = new Sink();
    streams.track(new Source()).subscribe(late);
    assertThat(late.items).isEmpty();
    assertThat(late.error.get()).hasMessage("stopping after null");
  }
}
