package dev.framecast.common.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.framecast.api.v1.Cancelled;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.Progress;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Logs whose readers see only what a store committed, and logs continuing a stored history. */
class GatedEventLogTest {
  private static final Instant T = Instant.parse("2026-12-06T12:00:00Z");

  private static JobEvent.Builder progress(int step) {
    return JobEvent.newBuilder().setProgress(Progress.newBuilder().setStep(step));
  }

  @Test
  void readersSeeOnlyReleasedEventsAndAreWokenByTheRelease() {
    EventLog log = EventLog.gated("job", 1 << 20);
    AtomicInteger wakes = new AtomicInteger();
    log.addListener(wakes::incrementAndGet);
    log.append(progress(1), T);
    log.append(progress(2), T);
    assertThat(log.after(0, 10)).isEmpty();
    assertThat(log.lastSeq()).isZero();
    assertThat(wakes).hasValue(0);
    assertThat(log.pending(0, 10)).extracting(JobEvent::getSeq).containsExactly(1L, 2L);
    assertThat(log.appendedSeq()).isEqualTo(2);

    log.release(1);
    assertThat(log.after(0, 10)).extracting(JobEvent::getSeq).containsExactly(1L);
    assertThat(wakes).hasValue(1);
    log.release(1); // never moves back, wakes no one
    assertThat(wakes).hasValue(1);

    log.append(JobEvent.newBuilder().setCancelled(Cancelled.getDefaultInstance()), T);
    assertThat(log.sealed()).isTrue();
    assertThat(log.closed()).as("the terminal event is not visible yet").isFalse();
    log.release(3);
    assertThat(log.closed()).isTrue();
    assertThat(log.lastSeq()).isEqualTo(3);
    assertThatThrownBy(() -> log.release(4)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aResumedLogContinuesTheStoredSequence() {
    EventLog first = EventLog.gated("job", 1 << 20);
    first.append(progress(1), T);
    first.append(progress(2), T);
    List<JobEvent> stored = first.pending(0, 10);

    EventLog resumed = EventLog.resumed("job", 1 << 20, stored);
    assertThat(resumed.lastSeq()).isEqualTo(2);
    assertThat(resumed.append(progress(1), T).getSeq()).isEqualTo(3);
    assertThat(resumed.after(2, 10)).isEmpty();

    assertThatThrownBy(() -> EventLog.resumed("job", 1 << 20, stored.subList(1, 2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("skip");
  }

  @Test
  void aReplayedHistoryIsClosedOnlyWhenItEnded() {
    EventLog ended = EventLog.gated("job", 1 << 20);
    ended.append(progress(1), T);
    ended.append(JobEvent.newBuilder().setCancelled(Cancelled.getDefaultInstance()), T);
    EventLog replay = EventLog.replay("job", ended.pending(0, 10));
    assertThat(replay.closed()).isTrue();
    assertThat(replay.after(0, 10)).hasSize(2);
    assertThat(EventLog.replay("job", ended.pending(0, 1)).closed()).isFalse();
  }
}
