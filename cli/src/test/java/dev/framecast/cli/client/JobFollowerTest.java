package dev.framecast.cli.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.cli.FakeGateway;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Reconnects with WatchJob(after_seq) against an in-process server that drops streams. */
class JobFollowerTest {
  private static final byte[] CLIP = "not really an mp4, but 40 bytes of clip.".getBytes();
  private static final JobFollower.Retry FAST =
      new JobFollower.Retry(3, Duration.ofMillis(1), Duration.ofMillis(4));

  private final List<Duration> slept = new ArrayList<>();
  private FakeGateway gateway;
  private FramecastClient client;

  private JobFollower follower() {
    return new JobFollower(client, FAST, slept::add);
  }

  private void start() throws Exception {
    gateway = new FakeGateway(request -> FakeGateway.succeeding(4, List.of(), CLIP, 16, 7));
    client = gateway.client("t0ken");
  }

  @AfterEach
  void stop() {
    client.close();
    gateway.close();
  }

  private static GenerateRequest request() {
    return GenerateRequest.newBuilder().setPrompt("a red circle").setIdempotencyKey("k1").build();
  }

  /** Records every event and reconnect. */
  private static final class Recorder implements JobFollower.Listener {
    final List<JobEvent> events = new ArrayList<>();
    final List<Status> reconnects = new ArrayList<>();

    @Override
    public void onEvent(JobEvent event) {
      events.add(event);
    }

    @Override
    public void onReconnect(Status status, int attempt, int maxAttempts, Duration delay) {
      reconnects.add(status);
    }

    List<Long> seqs() {
      return events.stream().map(JobEvent::getSeq).toList();
    }
  }

  @Test
  void aDroppedStreamResumesAfterTheLastSeqSeenAndLosesNothing() throws Exception {
    start();
    gateway.dropAfterEvents = 5;
    gateway.drops = 1;
    Recorder recorder = new Recorder();

    JobEvent terminal = follower().generate(request(), recorder);

    assertThat(terminal.hasCompleted()).isTrue();
    assertThat(gateway.watchCalls).hasSize(1);
    assertThat(gateway.watchCalls.get(0).getJobId()).isEqualTo("job-1");
    assertThat(gateway.watchCalls.get(0).getAfterSeq()).isEqualTo(5);
    // queued, started, 4 progress, 3 chunks (40 bytes in 16-byte chunks), completed: each once.
    assertThat(recorder.seqs()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    assertThat(recorder.reconnects)
        .extracting(Status::getCode)
        .containsExactly(Status.Code.UNAVAILABLE);
    assertThat(gateway.authorizations).allMatch(a -> a.equals("Bearer t0ken"));

    ClipAssembler clip = new ClipAssembler();
    recorder.events.stream()
        .filter(JobEvent::hasClipChunk)
        .forEach(e -> clip.accept(e.getClipChunk()));
    assertThat(clip.finish(terminal.getCompleted().getClipSizeBytes())).isEqualTo(CLIP);
  }

  @Test
  void aDropBeforeTheFirstEventResendsGenerateWithTheSameIdempotencyKey() throws Exception {
    start();
    gateway.dropAfterEvents = 0;
    gateway.drops = 1;
    Recorder recorder = new Recorder();

    follower().generate(request(), recorder);

    assertThat(gateway.generateCalls).hasSize(2);
    assertThat(gateway.generateCalls)
        .extracting(GenerateRequest::getIdempotencyKey)
        .containsExactly("k1", "k1");
    assertThat(recorder.events).extracting(JobEvent::getJobId).containsOnly("job-1");
    assertThat(recorder.seqs()).hasSize(10).doesNotHaveDuplicates();
  }

  @Test
  void withoutAnIdempotencyKeyGenerateIsNotResent() throws Exception {
    start();
    gateway.dropAfterEvents = 0;
    gateway.drops = 1;

    assertThatThrownBy(
            () ->
                follower()
                    .generate(GenerateRequest.newBuilder().setPrompt("x").build(), new Recorder()))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("UNAVAILABLE");
    assertThat(gateway.generateCalls).hasSize(1);
  }

  @Test
  void aServerThatStaysAwayEndsWithTheJobIdToResume() throws Exception {
    start();
    gateway.dropAfterEvents = 3;
    gateway.drops = 1;
    gateway.watchUnavailable = true;
    Recorder recorder = new Recorder();

    assertThatThrownBy(() -> follower().generate(request(), recorder))
        .isInstanceOfSatisfying(
            StreamLostException.class,
            e -> {
              assertThat(e.jobId()).isEqualTo("job-1");
              assertThat(e.lastSeq()).isEqualTo(3);
              assertThat(e.getMessage()).contains("UNAVAILABLE");
            });
    // The first break plus each failed WatchJob, up to the retry budget; backoff grows.
    assertThat(recorder.reconnects).hasSize(3);
    assertThat(gateway.watchCalls).hasSize(3).allMatch(w -> w.getAfterSeq() == 3);
    assertThat(slept).hasSize(3);
    assertThat(slept.get(2)).isGreaterThan(slept.get(0));
  }

  @Test
  void aServerNeverReachedIsReportedAsUnavailableAfterAFewTries() throws Exception {
    start();
    gateway.dropAfterEvents = 0;
    gateway.drops = 100;
    Recorder recorder = new Recorder();

    assertThatThrownBy(() -> follower().generate(request(), recorder))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("UNAVAILABLE");
    assertThat(gateway.generateCalls).hasSize(1 + JobFollower.ATTEMPTS_BEFORE_FIRST_EVENT);
    assertThat(recorder.reconnects).hasSize(JobFollower.ATTEMPTS_BEFORE_FIRST_EVENT);
  }

  @Test
  void otherErrorsAreNotRetried() throws Exception {
    start();
    gateway.refuseNext = Status.INVALID_ARGUMENT.withDescription("steps").asRuntimeException();

    assertThatThrownBy(() -> follower().generate(request(), new Recorder()))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("INVALID_ARGUMENT");
    assertThat(gateway.generateCalls).hasSize(1);
    assertThat(slept).isEmpty();
  }

  @Test
  void watchReplaysAJobFromTheStart() throws Exception {
    start();
    follower().generate(request(), new Recorder());
    Recorder recorder = new Recorder();

    JobEvent terminal = follower().watch("job-1", recorder);

    assertThat(terminal.hasCompleted()).isTrue();
    assertThat(gateway.watchCalls.get(0).getAfterSeq()).isZero();
    assertThat(recorder.seqs()).hasSize(10);
  }

  @Test
  void watchingAnUnknownJobIsNotFoundAndNotRetried() throws Exception {
    start();

    assertThatThrownBy(() -> follower().watch("job-9", new Recorder()))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("NOT_FOUND");
    assertThat(gateway.watchCalls).hasSize(1);
  }
}
