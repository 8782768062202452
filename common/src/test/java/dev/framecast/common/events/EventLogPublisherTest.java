package dev.framecast.common.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.Completed;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.Progress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.Test;

class EventLogPublisherTest {
  private static final Instant T = Instant.parse("2026-11-25T12:00:00Z");

  /** Records what it receives; requests only when told. */
  static final class Recorder implements Flow.Subscriber<JobEvent> {
    final List<Long> seqs = new ArrayList<>();
    Flow.Subscription subscription;
    boolean completed;
    Throwable error;

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
    }

    @Override
    public void onNext(JobEvent item) {
      seqs.add(item.getSeq());
    }

    @Override
    public void onError(Throwable throwable) {
      error = throwable;
    }

    @Override
    public void onComplete() {
      completed = true;
    }
  }

  /** Does something with its subscription the moment it gets it. */
  static final class Acting implements Flow.Subscriber<JobEvent> {
    final java.util.function.Consumer<Flow.Subscription> action;
    boolean completed;

    Acting(java.util.function.Consumer<Flow.Subscription> action) {
      this.action = action;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      action.accept(subscription);
    }

    @Override
    public void onNext(JobEvent item) {}

    @Override
    public void onError(Throwable throwable) {}

    @Override
    public void onComplete() {
      completed = true;
    }
  }

  @Test
  void aStreamThatEndsWhileSubscribingLeavesNoListenerOnTheLog() {
    EventLog ended = new EventLog("job-1", 1 << 20);
    progress(ended, 1);
    ended.append(JobEvent.newBuilder().setCompleted(Completed.getDefaultInstance()), T);
    // Asks for everything at once: the whole stream drains and completes inside onSubscribe.
    Acting eager = new Acting(s -> s.request(Long.MAX_VALUE));
    new EventLogPublisher(ended, 0, Runnable::run).subscribe(eager);
    assertThat(eager.completed).isTrue();
    assertThat(ended.listenerCount()).isZero();

    EventLog live = new EventLog("job-2", 1 << 20);
    new EventLogPublisher(live, 0, Runnable::run).subscribe(new Acting(Flow.Subscription::cancel));
    assertThat(live.listenerCount()).isZero();
    // A stream that goes on follows the log, until it is cancelled.
    Acting following = new Acting(s -> s.request(1));
    new EventLogPublisher(live, 0, Runnable::run).subscribe(following);
    assertThat(live.listenerCount()).isEqualTo(1);
  }

  private static void progress(EventLog log, int step) {
    log.append(
        JobEvent.newBuilder().setProgress(Progress.newBuilder().setStep(step).setTotalSteps(3)), T);
  }

  @Test
  void emitsExactlyWhatWasRequestedThenFollowsLiveAndCompletes() {
    EventLog log = new EventLog("job-1", 1 << 20);
    progress(log, 1);
    progress(log, 2);
    Recorder recorder = new Recorder();
    new EventLogPublisher(log, 0, Runnable::run).subscribe(recorder);
    assertThat(recorder.seqs).isEmpty();

    recorder.subscription.request(1);
    assertThat(recorder.seqs).containsExactly(1L);
    recorder.subscription.request(5);
    assertThat(recorder.seqs).containsExactly(1L, 2L);

    progress(log, 3); // live: outstanding demand is served as events arrive
    assertThat(recorder.seqs).containsExactly(1L, 2L, 3L);
    log.append(JobEvent.newBuilder().setCompleted(Completed.getDefaultInstance()), T);
    assertThat(recorder.seqs).containsExactly(1L, 2L, 3L, 4L);
    assertThat(recorder.completed).isTrue();
  }

  @Test
  void resumesAfterTheGivenSeqAndCompletesOnAnEndedLogWithoutDemand() {
    EventLog log = new EventLog("job-2", 1 << 20);
    progress(log, 1);
    log.append(JobEvent.newBuilder().setCompleted(Completed.getDefaultInstance()), T);
    Recorder all = new Recorder();
    new EventLogPublisher(log, 2, Runnable::run).subscribe(all);
    assertThat(all.completed).isTrue();
    assertThat(all.seqs).isEmpty();

    Recorder tail = new Recorder();
    new EventLogPublisher(log, 1, Runnable::run).subscribe(tail);
    tail.subscription.request(Long.MAX_VALUE);
    tail.subscription.request(Long.MAX_VALUE); // demand saturates instead of overflowing
    assertThat(tail.seqs).containsExactly(2L);
    assertThat(tail.completed).isTrue();
  }

  @Test
  void cancelStopsEmissionAndBadDemandIsAnError() {
    EventLog log = new EventLog("job-3", 1 << 20);
    Recorder recorder = new Recorder();
    new EventLogPublisher(log, 0, Runnable::run).subscribe(recorder);
    recorder.subscription.request(10);
    progress(log, 1);
    recorder.subscription.cancel();
    progress(log, 2);
    assertThat(recorder.seqs).containsExactly(1L);

    Recorder bad = new Recorder();
    new EventLogPublisher(log, 0, Runnable::run).subscribe(bad);
    bad.subscription.request(0);
    assertThat(bad.error).isInstanceOf(IllegalArgumentException.class);
  }
}
