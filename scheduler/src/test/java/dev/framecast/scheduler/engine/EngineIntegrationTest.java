package dev.framecast.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.scheduler.job.Job;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine on real inference nodes serving the reference models. */
class EngineIntegrationTest {

  @Test
  void aJobCompletesWithOrderedEventsPreviewsFramesAndClip() throws Exception {
    try (Harness harness = new Harness(1)) {
      Job job =
          harness.submit(
              "acme",
              Harness.request("a red circle moving right", 42, 4).toBuilder()
                  .setPreviewEvery(2)
                  .setIncludeFrames(true)
                  .build());
      List<JobEvent> events = Harness.awaitEnd(job, Duration.ofSeconds(120));

      for (int i = 0; i < events.size(); i++) {
        assertThat(events.get(i).getSeq()).isEqualTo(i + 1);
      }
      assertThat(events.get(0).hasQueued()).isTrue();
      assertThat(events).filteredOn(JobEvent::hasStarted).hasSize(1);
      assertThat(events)
          .filteredOn(JobEvent::hasProgress)
          .extracting(e -> e.getProgress().getStep())
          .contains(1, 2, 3, 4);
      assertThat(events)
          .filteredOn(e -> e.hasProgress() && !e.getProgress().getPreviewPng().isEmpty())
          .extracting(e -> e.getProgress().getStep())
          .containsExactly(2);
      assertThat(events).filteredOn(JobEvent::hasFrame).hasSize(16);
      assertThat(events).filteredOn(JobEvent::hasClipChunk).isNotEmpty();
      JobEvent last = events.get(events.size() - 1);
      assertThat(last.hasCompleted()).as(last.toString()).isTrue();
      assertThat(last.getCompleted().getSeed()).isEqualTo(42);
      assertThat(last.getCompleted().getGpuSeconds()).isPositive();
      assertThat(job.toProto().getState()).isEqualTo(JobState.SUCCEEDED);
      assertThat(job.toProto().getStep()).isEqualTo(4);
      assertThat(harness.store.get("acme", job.id())).isPresent();
      // The health checker reads the node's own compute time per batch size (ModelStatistics),
      // which tells RPC time from compute time.
      harness.pool.checkAll().join();
      assertThat(harness.pool.nodes().get(0).computeSeconds("dit", 1)).isPositive().isFinite();
    }
  }

  @Test
  void queuedJobsReportTheirPosition() throws Exception {
    try (Harness harness = new Harness(1)) {
      // Long jobs from one tenant with max concurrency 8: the 9th and 10th wait in line.
      List<Job> jobs = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        jobs.add(harness.submit("acme", Harness.request("a blue circle moving left", i, 50)));
      }
      // The reply to a submit already places the job behind those that have not started: at
      // most 8 have, so the 10th is never "next" (0).
      assertThat(jobs.get(9).toProto().getQueuePosition()).isPositive();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (jobs.get(9).toProto().getQueuePosition() != 1 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(jobs.get(9).toProto().getState()).isEqualTo(JobState.QUEUED);
      assertThat(jobs.get(9).toProto().getQueuePosition()).isEqualTo(1);
      assertThat(jobs.get(8).toProto().getQueuePosition()).isZero();
      for (Job job : jobs) {
        harness.engine.cancel(job.id(), "test over");
      }
    }
  }

  @Test
  void concurrentJobsOfThreeTenantsMatchSoloRunsBitForBit() throws Exception {
    String[] tenants = {"acme", "globex", "initech"};
    String[] prompts = {
      "a red circle moving right", "a blue square moving up", "a white triangle moving left"
    };
    List<byte[]> solo = new ArrayList<>();
    try (Harness harness = new Harness(1)) {
      for (int i = 0; i < 8; i++) {
        Job job = harness.submit(tenants[i % 3], Harness.request(prompts[i % 3], 100 + i, 3));
        Harness.awaitEnd(job, Duration.ofSeconds(120));
        solo.add(harness.store.get(tenants[i % 3], job.id()).orElseThrow());
      }
    }
    try (Harness harness = new Harness(2)) {
      List<Job> jobs = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        jobs.add(harness.submit(tenants[i % 3], Harness.request(prompts[i % 3], 100 + i, 3)));
      }
      for (int i = 0; i < 8; i++) {
        List<JobEvent> events = Harness.awaitEnd(jobs.get(i), Duration.ofSeconds(180));
        assertThat(events.get(events.size() - 1).hasCompleted()).isTrue();
        byte[] frames = harness.store.get(tenants[i % 3], jobs.get(i).id()).orElseThrow();
        assertThat(frames).as("job %d's frames equal its solo run", i).isEqualTo(solo.get(i));
      }
    }
  }
}
