package dev.framecast.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.scheduler.job.Job;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Node loss mid-run, cancellation at a step boundary, and replaying a job's events. */
class FailoverAndCancelTest {

  @Test
  void stoppingOneOfTwoNodesMidRunStillCompletesEveryJob() throws Exception {
    try (Harness harness = new Harness(2)) {
      List<Job> jobs = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        jobs.add(harness.submit("acme", Harness.request("a green square moving down", i, 6)));
      }
      // Wait until both nodes are stepping jobs, then kill one abruptly.
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (jobs.stream().noneMatch(j -> j.step() >= 1) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      harness.nodes.get(0).faults().stopAbruptly();
      for (Job job : jobs) {
        List<JobEvent> events = Harness.awaitEnd(job, Duration.ofSeconds(240));
        assertThat(events.get(events.size() - 1).hasCompleted())
            .as("job %s: %s", job.id(), events.get(events.size() - 1))
            .isTrue();
      }
    }
  }

  @Test
  void cancelEndsTheJobAtAStepBoundaryAndFreesItsSlot() throws Exception {
    try (Harness harness = new Harness(1)) {
      Job long1 = harness.submit("acme", Harness.request("a red circle moving up", 1, 50));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (long1.step() < 1 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      harness.engine.cancel(long1.id(), "changed my mind");
      List<JobEvent> events = Harness.awaitEnd(long1, Duration.ofSeconds(60));
      JobEvent last = events.get(events.size() - 1);
      assertThat(last.hasCancelled()).isTrue();
      assertThat(last.getCancelled().getReason()).isEqualTo("changed my mind");
      assertThat(long1.toProto().getState()).isEqualTo(JobState.CANCELLED);
      assertThat(long1.step()).isLessThan(50);

      // The slot is free: the next job runs to the end.
      Job next = harness.submit("acme", Harness.request("a red circle moving up", 2, 2));
      List<JobEvent> nextEvents = Harness.awaitEnd(next, Duration.ofSeconds(60));
      assertThat(nextEvents.get(nextEvents.size() - 1).hasCompleted()).isTrue();
    }
  }

  @Test
  void framesThatDoNotFitTheEventBudgetFailTheJobClearlyInsteadOfLosingIt() throws Exception {
    EngineConfig d = EngineConfig.defaults();
    EngineConfig small =
        TestParts.config(d.maxJobs(), d.maxCommands(), 20_000, d.noNodeTimeout(), d.jobTimeout());
    try (Harness harness = new Harness(1, small)) {
      Job job =
          harness.submit(
              "acme",
              Harness.request("a red circle moving up", 3, 1).toBuilder()
                  .setIncludeFrames(true)
                  .build());
      List<JobEvent> events = Harness.awaitEnd(job, Duration.ofSeconds(60));
      JobEvent last = events.get(events.size() - 1);
      assertThat(last.hasFailed()).as(last.toString()).isTrue();
      assertThat(last.getFailed().getStatus().getCode())
          .isEqualTo(io.grpc.Status.Code.RESOURCE_EXHAUSTED.value());
      assertThat(last.getFailed().getStatus().getMessage()).contains("include_frames");
    }
  }

  @Test
  void eventsReplayFromAnySequenceNumber() throws Exception {
    try (Harness harness = new Harness(1)) {
      Job job = harness.submit("acme", Harness.request("a cyan circle moving left", 9, 3));
      List<JobEvent> all = Harness.awaitEnd(job, Duration.ofSeconds(60));
      List<JobEvent> tail = job.events().after(2, Integer.MAX_VALUE);
      assertThat(tail).isEqualTo(all.subList(2, all.size()));
      assertThat(job.events().after(all.size(), 10)).isEmpty();
      // Cancelling an ended job changes nothing.
      harness.engine.cancel(job.id(), "late");
      Thread.sleep(200);
      assertThat(job.events().after(0, Integer.MAX_VALUE)).isEqualTo(all);
    }
  }
}
