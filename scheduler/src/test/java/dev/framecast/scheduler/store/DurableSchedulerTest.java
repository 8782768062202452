package dev.framecast.scheduler.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.api.v1.ListJobsRequest;
import dev.framecast.common.Caller;
import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.scheduler.Renderers;
import dev.framecast.scheduler.SchedulerServer;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import dev.framecast.scheduler.service.SchedulerCore;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A scheduler over a job store, stopped with jobs queued, running and done, and started again over
 * the same store and clips: every job ends once, the running one from the latent checkpoint written
 * as the first scheduler stopped, with the same clip as an undisturbed run, its event stream
 * continues where the client left off, keys and usage are kept, and ended jobs are read back from
 * the store.
 */
class DurableSchedulerTest {
  private static final Caller ACME = new Caller("acme", "test", false);
  private static final Caller GLOBEX = new Caller("globex", "test", false);
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(TestDatabases.Kind.class)
  void jobsKeysUsageAndStreamsSurviveARestart(TestDatabases.Kind kind) throws Exception {
    SchedulerServer.Database database = TestDatabases.fresh(kind, dir);
    Path repository = Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
    try (InferenceNode node =
        InferenceNode.start(
            NodeOptions.builder(repository).host("127.0.0.1").port(0).metricsPort(-1).build())) {
      SchedulerServer.Options options =
          new SchedulerServer.Options(
              List.of("127.0.0.1:" + node.port()),
              List.of(PipelineSpec.reference()),
              null,
              dir.resolve("clips"),
              Duration.ofDays(7),
              EngineConfig.defaults(),
              1,
              database);
      GenerateRequest keyed =
          request("a blue square moving down", 2, 40).toBuilder()
              .setIdempotencyKey("key-b")
              .setIncludeFrames(true)
              .build();
      Job a;
      Job b;
      Job c;
      Recorder before = new Recorder();
      try (SchedulerServer first = new SchedulerServer(options, Renderers.standard())) {
        SchedulerCore core = first.core();
        a = core.submit(ACME, request("a red circle moving right", 1, 3));
        b = core.submit(GLOBEX, keyed);
        c = core.submit(ACME, request("a green dot", 3, 40));
        try (JobStore reader = TestDatabases.open(database)) {
          assertThat(reader.job(b.getId())).as("acknowledged once stored").isPresent();
          assertThat(reader.idempotencyKey("globex", "key-b", java.time.Instant.EPOCH)).isPresent();
        }
        core.events(GLOBEX, b.getId(), 0).subscribe(before);
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (core.get(ACME, a.getId()).getState() != JobState.SUCCEEDED
            || core.get(GLOBEX, b.getId()).getStep() < 2) {
          assertThat(System.nanoTime()).as("a done and b running").isLessThan(deadline);
          Thread.sleep(10);
        }
        assertThat(core.get(GLOBEX, b.getId()).getState()).isEqualTo(JobState.RUNNING);
      }
      long seen = before.lastSeq();
      assertThat(seen)
          .as("the client saw b's queued, started and progress events")
          .isGreaterThan(2);

      double gpuB;
      try (SchedulerServer second = new SchedulerServer(options, Renderers.standard())) {
        SchedulerCore core = second.core();
        assertThat(second.engine().job(a.getId())).as("a ended: not taken back").isEmpty();
        Job doneA = core.get(ACME, a.getId());
        assertThat(doneA.getState()).isEqualTo(JobState.SUCCEEDED);
        byte[] clipA = core.clip(ACME, a.getId()).orElseThrow();
        Recorder replayA = Recorder.of(core, ACME, a.getId(), 0);
        assertThat(replayA.await()).last().matches(JobEvent::hasCompleted);
        assertThat(replayA.clip()).isEqualTo(clipA);
        assertThat(replayA.lastSeq()).isEqualTo(doneA.getLastSeq());

        // The same key: the same job, not a second one.
        assertThat(core.submit(GLOBEX, keyed).getId()).isEqualTo(b.getId());

        Recorder after = Recorder.of(core, GLOBEX, b.getId(), seen);
        List<JobEvent> rest = after.await();
        assertThat(rest.get(0).getSeq()).as("no gap, no repeat").isEqualTo(seen + 1);
        for (int i = 1; i < rest.size(); i++) {
          assertThat(rest.get(i).getSeq()).isEqualTo(rest.get(i - 1).getSeq() + 1);
        }
        assertThat(rest.get(rest.size() - 1).hasCompleted()).isTrue();
        // b went on from the checkpoint its scheduler wrote as it stopped: the step after the
        // last one the first run made, not step 1 again.
        List<JobEvent> all = new ArrayList<>(before.events);
        all.addAll(rest);
        int restart = -1;
        for (int i = 0; i < all.size(); i++) {
          if (all.get(i).hasStarted()) {
            restart = i; // the last start: the second scheduler's
          }
        }
        int lastBefore = 0;
        for (JobEvent e : all.subList(0, restart)) {
          if (e.hasProgress()) {
            lastBefore = e.getProgress().getStep();
          }
        }
        int firstAfter =
            all.subList(restart, all.size()).stream()
                .filter(JobEvent::hasProgress)
                .findFirst()
                .orElseThrow()
                .getProgress()
                .getStep();
        assertThat(lastBefore).isGreaterThanOrEqualTo(2);
        assertThat(firstAfter).as("resumed at its checkpoint").isEqualTo(lastBefore + 1);
        assertThat(Recorder.of(core, ACME, c.getId(), 0).await())
            .last()
            .matches(JobEvent::hasCompleted);

        // An undisturbed run of b's request gives the same clip, bit for bit.
        Job reference = core.submit(GLOBEX, keyed.toBuilder().clearIdempotencyKey().build());
        Recorder.of(core, GLOBEX, reference.getId(), 0).await();
        byte[] clipB = core.clip(GLOBEX, b.getId()).orElseThrow();
        assertThat(clipB).isEqualTo(core.clip(GLOBEX, reference.getId()).orElseThrow());

        // b is charged for its rerun only: the tenant's usage is its jobs' GPU-seconds.
        gpuB = core.get(GLOBEX, b.getId()).getGpuSeconds();
        double gpuReference = core.get(GLOBEX, reference.getId()).getGpuSeconds();
        assertThat(core.usage(GLOBEX, "").getGpuSecondsToday())
            .isCloseTo(gpuB + gpuReference, org.assertj.core.data.Percentage.withPercentage(1));
      }

      try (SchedulerServer third = new SchedulerServer(options, Renderers.standard())) {
        SchedulerCore core = third.core();
        assertThat(third.engine().unfinished()).isZero();
        assertThat(core.get(GLOBEX, b.getId()).getGpuSeconds()).isEqualTo(gpuB);
        List<Job> listed =
            core.list(ACME, ListJobsRequest.newBuilder().setPageSize(1).build()).getJobsList();
        assertThat(listed).extracting(Job::getId).containsExactly(c.getId());
        var page =
            core.list(
                ACME,
                ListJobsRequest.newBuilder()
                    .setPageSize(1)
                    .setPageToken(
                        core.list(ACME, ListJobsRequest.newBuilder().setPageSize(1).build())
                            .getNextPageToken())
                    .build());
        assertThat(page.getJobsList()).extracting(Job::getId).containsExactly(a.getId());
        assertThat(page.getNextPageToken()).isEmpty();
        assertThat(core.usage(ACME, "").getJobsSucceeded()).isEqualTo(2);
      }
    }
  }

  private static GenerateRequest request(String prompt, long seed, int steps) {
    return GenerateRequest.newBuilder().setPrompt(prompt).setSeed(seed).setSteps(steps).build();
  }

  /** Collects a job's events as a stream client would, asking for all of them. */
  static final class Recorder implements Flow.Subscriber<JobEvent> {
    final List<JobEvent> events = new CopyOnWriteArrayList<>();
    final CountDownLatch done = new CountDownLatch(1);
    volatile Throwable error;

    static Recorder of(SchedulerCore core, Caller caller, String jobId, long afterSeq) {
      Recorder recorder = new Recorder();
      core.events(caller, jobId, afterSeq).subscribe(recorder);
      return recorder;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(JobEvent event) {
      events.add(event);
    }

    @Override
    public void onError(Throwable throwable) {
      error = throwable;
      done.countDown();
    }

    @Override
    public void onComplete() {
      done.countDown();
    }

    long lastSeq() {
      return events.isEmpty() ? 0 : events.get(events.size() - 1).getSeq();
    }

    List<JobEvent> await() throws InterruptedException {
      assertThat(done.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("the stream ended").isTrue();
      assertThat(error).isNull();
      return events;
    }

    byte[] clip() {
      ByteArrayOutputStream clip = new ByteArrayOutputStream();
      events.stream()
          .filter(JobEvent::hasClipChunk)
          .forEach(e -> clip.writeBytes(e.getClipChunk().getData().toByteArray()));
      return clip.toByteArray();
    }
  }
}
