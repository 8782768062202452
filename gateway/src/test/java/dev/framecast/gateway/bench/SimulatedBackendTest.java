package dev.framecast.gateway.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.api.v1.ListJobsRequest;
import dev.framecast.api.v1.ListJobsResponse;
import dev.framecast.common.Caller;
import dev.framecast.common.errors.InvalidRequestException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The simulated backend with millisecond step intervals (real timers, real event logs) and a clock
 * the tests move where time matters (retention).
 */
class SimulatedBackendTest {
  static final Caller ACME = new Caller("acme", "alice@acme", false);
  static final Caller GLOBEX = new Caller("globex", "bob@globex", false);
  static final int CLIP = 3000;

  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  SimulatedBackend backend;

  @AfterEach
  void close() {
    if (backend != null) {
      backend.close();
    }
  }

  SimulatedBackend backend(Duration step, int maxJobs, long maxEventBytes) {
    backend =
        new SimulatedBackend(
            new SimulatedBackend.Settings(
                step, 24, 10_000, maxJobs, Duration.ofMinutes(5), CLIP, maxEventBytes, false, 2),
            clock);
    return backend;
  }

  static GenerateRequest request(int steps) {
    return GenerateRequest.newBuilder().setPrompt("a red circle").setSteps(steps).build();
  }

  @Test
  void aJobIsQueuedStartedEachStepItsClipAndCompleted() throws Exception {
    backend(Duration.ofMillis(2), 10, 1 << 20);
    Job job = backend.submit(ACME, request(5).toBuilder().setPreviewEvery(2).setSeed(7).build());
    assertThat(job.getState()).isEqualTo(JobState.QUEUED);
    assertThat(job.getTotalSteps()).isEqualTo(5);

    Collector live = Collector.subscribe(backend.events(ACME, job.getId(), 0), Long.MAX_VALUE);
    List<JobEvent> events = live.awaitEnd();

    assertThat(events)
        .extracting(JobEvent::getSeq)
        .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
    assertThat(events.get(0).hasQueued()).isTrue();
    assertThat(events.get(1).hasStarted()).isTrue();
    assertThat(events.subList(2, 7))
        .extracting(e -> e.getProgress().getStep())
        .containsExactly(1, 2, 3, 4, 5);
    // Step 4's preview is the newest, so never coalesced away; odd steps have none.
    assertThat(events.get(5).getProgress().getPreviewPng().isEmpty()).isFalse();
    assertThat(events.get(4).getProgress().getPreviewPng().isEmpty()).isTrue();
    assertThat(events.get(2).getProgress().getPreviewPng().isEmpty()).isTrue();
    assertThat(events.get(7).getClipChunk().getData().size()).isEqualTo(CLIP);
    assertThat(events.get(7).getClipChunk().getLast()).isTrue();
    assertThat(events.get(8).getCompleted().getSeed()).isEqualTo(7);
    assertThat(events).allMatch(e -> e.getJobId().equals(job.getId()));

    Job done = backend.get(ACME, job.getId());
    assertThat(done.getState()).isEqualTo(JobState.SUCCEEDED);
    assertThat(done.getStep()).isEqualTo(5);
    assertThat(done.getLastSeq()).isEqualTo(9);
    assertThat(done.getClip().getSizeBytes()).isEqualTo(CLIP);
    assertThat(backend.clip(ACME, job.getId())).hasSize(CLIP);

    // A replay from the log: the earlier preview was coalesced away, the newest one kept.
    List<JobEvent> replay =
        Collector.subscribe(backend.events(ACME, job.getId(), 2), Long.MAX_VALUE).awaitEnd();
    assertThat(replay).extracting(JobEvent::getSeq).startsWith(3L).endsWith(9L);
    assertThat(replay.get(1).getProgress().getPreviewPng().isEmpty()).isTrue();
    assertThat(replay.get(3).getProgress().getPreviewPng().isEmpty()).isFalse();
  }

  @Test
  void anotherTenantsJobIsNotFound() {
    backend(Duration.ofMillis(50), 10, 1 << 20);
    String id = backend.submit(ACME, request(3)).getId();
    for (Supplier<?> call :
        List.<Supplier<?>>of(
            () -> backend.get(GLOBEX, id),
            () -> backend.events(GLOBEX, id, 0),
            () -> backend.cancel(GLOBEX, id, ""),
            () -> backend.clip(GLOBEX, id),
            () -> backend.get(ACME, "no-such-job"))) {
      assertThatThrownBy(call::get)
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }
    assertThat(backend.list(GLOBEX, ListJobsRequest.getDefaultInstance()).getJobsCount()).isZero();
    assertThatThrownBy(() -> backend.usage(GLOBEX, "acme"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
    assertThat(backend.usage(new Caller("globex", "root", true), "acme").getTenant())
        .isEqualTo("acme");
  }

  @Test
  void cancelEndsTheJobAndItsStreams() throws Exception {
    backend(Duration.ofMillis(5), 10, 1 << 20);
    String id = backend.submit(ACME, request(10_000)).getId();
    Collector live = Collector.subscribe(backend.events(ACME, id, 0), Long.MAX_VALUE);
    live.awaitCount(3);
    backend.cancel(ACME, id, "enough");
    List<JobEvent> events = live.awaitEnd();
    assertThat(events)
        .last()
        .satisfies(e -> assertThat(e.getCancelled().getReason()).isEqualTo("enough"));
    assertThat(backend.get(ACME, id).getState()).isEqualTo(JobState.CANCELLED);
    assertThat(backend.usage(ACME, "").getJobsCancelled()).isEqualTo(1);
    assertThatThrownBy(() -> backend.clip(ACME, id))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
  }

  @Test
  void streamsGetOnlyWhatTheyAskFor() throws Exception {
    backend(Duration.ofMillis(1), 10, 1 << 20);
    String id = backend.submit(ACME, request(10_000)).getId();
    Collector slow = Collector.subscribe(backend.events(ACME, id, 0), 1);
    slow.awaitCount(1);
    // Many events are appended meanwhile; none is pushed past the demand.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (backend.get(ACME, id).getLastSeq() <= 10 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(backend.get(ACME, id).getLastSeq()).isGreaterThan(10);
    assertThat(slow.events).hasSize(1);
    slow.subscription.request(2);
    slow.awaitCount(3);
    Thread.sleep(50);
    assertThat(slow.events).extracting(JobEvent::getSeq).containsExactly(1L, 2L, 3L);
    slow.subscription.cancel();
  }

  @Test
  void jobsAreBoundedAndTheOldestFinishedMakeRoom() throws Exception {
    backend(Duration.ofMillis(5), 2, 1 << 20);
    String first = backend.submit(ACME, request(10_000)).getId();
    backend.submit(ACME, request(10_000));
    assertThatThrownBy(() -> backend.submit(ACME, request(10_000)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
    backend.cancel(ACME, first, "");
    awaitState(first, JobState.CANCELLED);
    backend.submit(ACME, request(10_000));
    assertThat(backend.jobCount()).isEqualTo(2);
    assertThatThrownBy(() -> backend.get(ACME, first)).isInstanceOf(StatusRuntimeException.class);
  }

  @Test
  void finishedJobsAreForgottenAfterTheRetention() throws Exception {
    backend(Duration.ofMillis(1), 10, 1 << 20);
    String done = backend.submit(ACME, request(1)).getId();
    String running = backend.submit(ACME, request(10_000)).getId();
    awaitState(done, JobState.SUCCEEDED);
    clock.advance(Duration.ofMinutes(4));
    backend.sweep();
    assertThat(backend.get(ACME, done).getState()).isEqualTo(JobState.SUCCEEDED);
    clock.advance(Duration.ofMinutes(2));
    backend.sweep();
    assertThatThrownBy(() -> backend.get(ACME, done)).isInstanceOf(StatusRuntimeException.class);
    assertThat(backend.get(ACME, running).getState()).isEqualTo(JobState.RUNNING);
  }

  @Test
  void aJobWhoseEventsOutgrowTheirBoundFails() throws Exception {
    backend(Duration.ofMillis(1), 10, 400);
    String id = backend.submit(ACME, request(1_000)).getId();
    List<JobEvent> events =
        Collector.subscribe(backend.events(ACME, id, 0), Long.MAX_VALUE).awaitEnd();
    assertThat(events.get(events.size() - 1).getFailed().getStatus().getCode())
        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED.value());
    assertThat(backend.get(ACME, id).getState()).isEqualTo(JobState.FAILED);
    assertThat(backend.usage(ACME, "").getJobsFailed()).isEqualTo(1);
  }

  @Test
  void requestsAreValidatedAndIdempotent() {
    backend(Duration.ofMillis(50), 10, 1 << 20);
    assertThatThrownBy(() -> backend.submit(ACME, request(10_001)))
        .isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> backend.submit(ACME, GenerateRequest.newBuilder().build()))
        .isInstanceOf(InvalidRequestException.class);
    assertThat(backend.jobCount()).isZero();

    Job defaults = backend.submit(ACME, request(0));
    assertThat(defaults.getTotalSteps()).isEqualTo(24);
    assertThat(defaults.getRequest().getModel()).isEqualTo(SimulatedBackend.MODEL);

    GenerateRequest keyed = request(3).toBuilder().setIdempotencyKey("k1").build();
    String id = backend.submit(ACME, keyed).getId();
    assertThat(backend.submit(ACME, keyed).getId()).isEqualTo(id);
    assertThat(backend.submit(GLOBEX, keyed).getId()).isNotEqualTo(id);
    assertThatThrownBy(() -> backend.submit(ACME, keyed.toBuilder().setSteps(4).build()))
        .isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void listIsNewestFirstInPages() {
    backend(Duration.ofMillis(50), 10, 1 << 20);
    String a = backend.submit(ACME, request(3)).getId();
    String b = backend.submit(ACME, request(3)).getId();
    String c = backend.submit(ACME, request(3)).getId();
    backend.submit(GLOBEX, request(3));
    ListJobsResponse first =
        backend.list(ACME, ListJobsRequest.newBuilder().setPageSize(2).build());
    assertThat(first.getJobsList()).extracting(Job::getId).containsExactly(c, b);
    ListJobsResponse second =
        backend.list(
            ACME,
            ListJobsRequest.newBuilder()
                .setPageSize(2)
                .setPageToken(first.getNextPageToken())
                .build());
    assertThat(second.getJobsList()).extracting(Job::getId).containsExactly(a);
    assertThat(second.getNextPageToken()).isEmpty();
  }

  @Test
  void describesItselfAsSimulated() {
    backend(Duration.ofMillis(50), 10, 1 << 20);
    assertThat(backend.describe()).contains("SIMULATED").contains("load tests only");
    assertThat(backend.ready()).isTrue();
    assertThat(backend.models(ACME).getModels(0).getName()).isEqualTo("simulated");
    backend.close();
    assertThat(backend.ready()).isFalse();
  }

  private void awaitState(String id, JobState state) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (backend.get(ACME, id).getState() != state) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("job " + id + " did not reach " + state);
      }
      Thread.sleep(2);
    }
  }

  /** A subscriber that keeps what it receives and asks for a fixed amount up front. */
  static final class Collector implements Flow.Subscriber<JobEvent> {
    final List<JobEvent> events = new CopyOnWriteArrayList<>();
    final CountDownLatch ended = new CountDownLatch(1);
    final AtomicReference<Throwable> error = new AtomicReference<>();
    final long initial;
    volatile Flow.Subscription subscription;

    Collector(long initial) {
      this.initial = initial;
    }

    static Collector subscribe(Flow.Publisher<JobEvent> publisher, long initial) {
      Collector collector = new Collector(initial);
      publisher.subscribe(collector);
      return collector;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(initial);
    }

    @Override
    public void onNext(JobEvent item) {
      events.add(item);
    }

    @Override
    public void onError(Throwable t) {
      error.set(t);
      ended.countDown();
    }

    @Override
    public void onComplete() {
      ended.countDown();
    }

    List<JobEvent> awaitEnd() throws InterruptedException {
      assertThat(ended.await(10, TimeUnit.SECONDS)).as("the stream ended").isTrue();
      assertThat(error.get()).isNull();
      return List.copyOf(events);
    }

    void awaitCount(int n) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (events.size() < n) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("got " + events.size() + " events, waited for " + n);
        }
        Thread.sleep(1);
      }
    }
  }

  /** A clock the test moves. */
  static final class MutableClock extends Clock {
    private final AtomicReference<Instant> now;

    MutableClock(Instant start) {
      now = new AtomicReference<>(start);
    }

    void advance(Duration d) {
      now.updateAndGet(t -> t.plus(d));
    }

    @Override
    public Instant instant() {
      return now.get();
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
