package dev.framecast.scheduler.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.framecast.api.v1.Cancelled;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.Progress;
import dev.framecast.common.events.EventLog;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class JobLifecycleTest {
  private final Job job =
      new Job(
          "j1",
          "acme",
          Specs.spec(4, dev.framecast.api.v1.Priority.PRIORITY_INTERACTIVE),
          null,
          Instant.EPOCH,
          1 << 20);

  @Test
  void transitionsAreCheckedAndTerminalPhasesAreFinal() {
    job.transition(JobPhase.ENCODING_TEXT);
    job.transition(JobPhase.READY);
    assertThatThrownBy(() -> job.transition(JobPhase.SUCCEEDED))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("READY -> SUCCEEDED");
    job.transition(JobPhase.CANCELLED);
    assertThat(JobPhase.CANCELLED.isTerminal()).isTrue();
    assertThatThrownBy(() -> job.transition(JobPhase.READY))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void eventLogNumbersEventsKeepsOnlyTheNewestPreviewAndClosesOnTheEnd() {
    EventLog log = job.events();
    AtomicInteger woken = new AtomicInteger();
    log.addListener(woken::incrementAndGet);
    for (int step = 1; step <= 3; step++) {
      log.append(
          JobEvent.newBuilder()
              .setProgress(
                  Progress.newBuilder()
                      .setStep(step)
                      .setPreviewPng(ByteString.copyFrom(new byte[1000]))),
          Instant.EPOCH);
    }
    assertThat(log.after(0, 10)).extracting(JobEvent::getSeq).containsExactly(1L, 2L, 3L);
    assertThat(log.after(0, 10))
        .extracting(e -> e.getProgress().getPreviewPng().size())
        .containsExactly(0, 0, 1000);
    log.append(JobEvent.newBuilder().setCancelled(Cancelled.getDefaultInstance()), Instant.EPOCH);
    assertThat(log.closed()).isTrue();
    assertThat(woken.get()).isEqualTo(4);
    assertThatThrownBy(
            () ->
                log.append(
                    JobEvent.newBuilder().setProgress(Progress.getDefaultInstance()),
                    Instant.EPOCH))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void eventLogIsBounded() {
    EventLog small = new EventLog("j2", 100);
    assertThatThrownBy(
            () ->
                small.append(
                    JobEvent.newBuilder()
                        .setProgress(
                            Progress.newBuilder()
                                .setPreviewPng(ByteString.copyFrom(new byte[500]))),
                    Instant.EPOCH))
        .isInstanceOf(IllegalStateException.class);
  }
}
