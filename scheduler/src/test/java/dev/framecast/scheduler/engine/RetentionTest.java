package dev.framecast.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.JobEvent;
import dev.framecast.scheduler.job.Job;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The engine's bounds over a long life: retained jobs (ended ones go first, in the order they
 * ended; live ones stay) and commands waiting for the loop.
 */
class RetentionTest {
  @Test
  void endedJobsAreForgottenInTheOrderTheyEndedAndRunningOnesNever() throws Exception {
    try (Harness harness = new Harness(1, bounds(3, 100_000))) {
      Job a = finished(harness, 1);
      Job b = finished(harness, 2);
      Job c = finished(harness, 3);
      assertThat(harness.engine.unfinished()).isZero();

      Job d1 = harness.submit("acme", Harness.request("a red dot moving up", 4, 50));
      assertThat(d1.toProto().getQueuePosition()).as("nothing waits ahead of it").isZero();
      assertThat(harness.engine.job(a.id())).as("ended first, forgotten first").isEmpty();
      assertThat(harness.engine.job(b.id())).isPresent();
      assertThat(harness.engine.job(c.id())).isPresent();

      // The loop moves a job to the ended line on its first pass after the job ended; D's start
      // means it has made one since C ended.
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (d1.started() == null && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(d1.started()).isNotNull();
      assertThat(c.latents()).as("an ended job's tensors are freed").isNull();
      assertThat(c.text()).isNull();
      Job e = harness.submit("acme", Harness.request("a red dot moving up", 5, 50));
      Job f = harness.submit("acme", Harness.request("a red dot moving up", 6, 50));
      assertThat(harness.engine.job(b.id())).isEmpty();
      assertThat(harness.engine.job(c.id())).isEmpty();
      // Nothing has ended to make room: the bound is exceeded rather than a live job lost.
      Job g = harness.submit("acme", Harness.request("a red dot moving up", 7, 50));
      for (Job live : List.of(d1, e, f, g)) {
        assertThat(harness.engine.job(live.id())).isPresent();
      }
      assertThat(harness.engine.unfinished()).isEqualTo(4);
      // Read one after the other, while the jobs run: one that starts in between is counted by
      // both (it was seen as 5 once). Fewer than 4 would be a job lost.
      int waiting = harness.engine.waiting("acme");
      int running = harness.engine.running("acme");
      assertThat(waiting + running).isBetween(4, 5);
      for (Job live : List.of(d1, e, f, g)) {
        harness.engine.cancel(live.id(), "test over");
      }
    }
  }

  @Test
  void theBoundOnPendingCommandsCountsOnlyThoseNotYetTaken() throws Exception {
    // Room for 4 submits and cancels in the inbox; a long-lived engine handles far more than that.
    try (Harness harness = new Harness(1, bounds(10_000, 4))) {
      for (int i = 0; i < 20; i++) {
        Job job = harness.submit("acme", Harness.request("a red dot moving up", i, 50));
        harness.engine.cancel(job.id(), "next");
        List<JobEvent> events = Harness.awaitEnd(job, Duration.ofSeconds(60));
        assertThat(events.get(events.size() - 1).hasCancelled()).as("job %d", i).isTrue();
      }
      // Jobs cancelled before they started no longer count as waiting ahead of a new one (once a
      // job submitted after them has run, the loop has long counted them out).
      finished(harness, 98);
      Job next = harness.submit("acme", Harness.request("a red dot moving up", 99, 1));
      assertThat(next.toProto().getQueuePosition()).isZero();
    }
  }

  @Test
  void aStoppedEngineRefusesWithRetryInfoAndKeepsNothing() throws Exception {
    try (Harness harness = new Harness(1)) {
      harness.engine.close();
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> harness.submit("acme", Harness.request("a red dot moving up", 1, 1)))
          .isInstanceOfSatisfying(
              dev.framecast.common.errors.OverloadedException.class,
              e -> assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(1)));
      assertThat(harness.engine.tenants()).isEmpty();
      assertThat(harness.engine.unfinished()).isZero();
    }
  }

  @Test
  void aJobPastItsDeadlineFailsWithDeadlineExceeded() throws Exception {
    // Long enough that the job starts stepping even on a loaded 2-core machine (text encoding and
    // a first step take ~0.2 s there), short against its 100,000 steps.
    Duration timeout = Duration.ofMillis(1500);
    try (Harness harness = new Harness(1, bounds(10_000, 100_000, timeout))) {
      Job job = harness.submit("acme", Harness.request("a red dot moving up", 1, 100_000));
      List<JobEvent> events = Harness.awaitEnd(job, Duration.ofSeconds(60));
      JobEvent last = events.get(events.size() - 1);
      assertThat(last.hasFailed()).as(last.toString()).isTrue();
      assertThat(last.getFailed().getStatus().getCode())
          .isEqualTo(io.grpc.Status.Code.DEADLINE_EXCEEDED.value());
      assertThat(job.step()).isPositive().isLessThan(100_000);
      assertThat(harness.engine.unfinished()).isZero();
    }
  }

  private static EngineConfig bounds(int maxJobs, int maxCommands) {
    return bounds(maxJobs, maxCommands, EngineConfig.defaults().jobTimeout());
  }

  private static EngineConfig bounds(int maxJobs, int maxCommands, Duration jobTimeout) {
    EngineConfig d = EngineConfig.defaults();
    return TestParts.config(maxJobs, maxCommands, d.maxEventBytes(), d.noNodeTimeout(), jobTimeout);
  }

  private static Job finished(Harness harness, int seed) throws Exception {
    Job job = harness.submit("acme", Harness.request("a red dot moving up", seed, 1));
    List<JobEvent> events = Harness.awaitEnd(job, Duration.ofSeconds(60));
    assertThat(events.get(events.size() - 1).hasCompleted()).isTrue();
    return job;
  }
}
