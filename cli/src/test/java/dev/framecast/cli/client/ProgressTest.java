package dev.framecast.cli.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import dev.framecast.api.v1.Completed;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.Progress;
import dev.framecast.api.v1.Queued;
import dev.framecast.api.v1.Started;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

/** The progress text: bar, percentage, ETA from the observed step rate, queue position. */
class ProgressTest {
  @Test
  void barShowsStepPercentageAndEta() {
    assertThat(ProgressFormat.bar(8, 24, OptionalDouble.of(12.2)))
        .isEqualTo("[##########....................] step 8/24   33%  ETA 13s");
    assertThat(ProgressFormat.bar(24, 24, OptionalDouble.of(0)))
        .isEqualTo("[##############################] step 24/24  100%  ETA 0s");
    assertThat(ProgressFormat.bar(0, 24, OptionalDouble.empty()))
        .isEqualTo("[..............................] step 0/24    0%  ETA --");
  }

  @Test
  void lineModeAndDurations() {
    assertThat(ProgressFormat.line(3, 24, OptionalDouble.of(65)))
        .isEqualTo("step 3/24 (12%), ETA 1m05s");
    assertThat(ProgressFormat.duration(0.2)).isEqualTo("1s");
    assertThat(ProgressFormat.duration(59)).isEqualTo("59s");
    assertThat(ProgressFormat.duration(3723)).isEqualTo("1h02m");
    assertThat(ProgressFormat.queued(0)).isEqualTo("queued: next in line");
    assertThat(ProgressFormat.queued(1)).isEqualTo("queued: 1 job ahead");
    assertThat(ProgressFormat.queued(5)).isEqualTo("queued: 5 jobs ahead");
  }

  @Test
  void etaComesFromTheStepRateBetweenEventTimes() {
    StepRate rate = new StepRate();
    assertThat(rate.etaSeconds(10)).isEmpty();
    rate.observe(1, java.time.Instant.ofEpochSecond(100));
    assertThat(rate.etaSeconds(10)).isEmpty();
    rate.observe(3, java.time.Instant.ofEpochSecond(101)); // 2 steps per second
    assertThat(rate.etaSeconds(10)).hasValue(3.5);
    rate.observe(5, java.time.Instant.ofEpochSecond(104)); // 4 steps in 4 s
    assertThat(rate.etaSeconds(10)).hasValue(5.0);
  }

  private static JobEvent progress(int step, int total, long second) {
    return JobEvent.newBuilder()
        .setTime(Timestamp.newBuilder().setSeconds(second))
        .setProgress(Progress.newBuilder().setStep(step).setTotalSteps(total))
        .build();
  }

  @Test
  void withoutATerminalOneLinePerTenPercent() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ProgressView view =
        new ProgressView(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
    view.onEvent(JobEvent.newBuilder().setQueued(Queued.newBuilder().setPosition(2)).build());
    view.queuePosition(2);
    view.queuePosition(1);
    view.onEvent(JobEvent.newBuilder().setStarted(Started.newBuilder().setNode("n1")).build());
    for (int step = 1; step <= 24; step++) {
      view.onEvent(progress(step, 24, step));
    }
    view.onEvent(JobEvent.newBuilder().setCompleted(Completed.getDefaultInstance()).build());

    String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
    assertThat(lines)
        .startsWith(
            "queued: 2 jobs ahead",
            "queued: 1 job ahead",
            "started on node n1",
            "step 1/24 (4%), ETA --",
            "step 3/24 (12%), ETA 21s");
    assertThat(lines).hasSize(3 + 11).endsWith("step 24/24 (100%), ETA 0s");
    assertThat(bytes.toString(StandardCharsets.UTF_8)).doesNotContain("\r");
  }

  @Test
  void onATerminalTheLineIsRedrawnInPlace() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ProgressView view =
        new ProgressView(new PrintStream(bytes, true, StandardCharsets.UTF_8), true);
    view.onEvent(JobEvent.newBuilder().setQueued(Queued.newBuilder().setPosition(3)).build());
    view.onEvent(progress(1, 4, 10));
    view.onEvent(progress(2, 4, 11));
    view.pause();
    view.onEvent(progress(3, 4, 12)); // drawn only after resume
    String whilePaused = bytes.toString(StandardCharsets.UTF_8);
    view.resume();
    view.onEvent(JobEvent.newBuilder().setCompleted(Completed.getDefaultInstance()).build());

    String out = bytes.toString(StandardCharsets.UTF_8);
    assertThat(out).startsWith("\rqueued: 3 jobs ahead");
    assertThat(out).contains("\r[###############...............] step 2/4   50%  ETA 2s");
    assertThat(whilePaused).doesNotContain("step 3/4");
    assertThat(out).endsWith("[######################........] step 3/4   75%  ETA 1s\n");
  }
}
