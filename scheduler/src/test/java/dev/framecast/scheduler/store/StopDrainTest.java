package dev.framecast.scheduler.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.common.Caller;
import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.scheduler.Renderers;
import dev.framecast.scheduler.SchedulerServer;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import dev.framecast.scheduler.service.SchedulerCore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stopping scheduler lets the DiT step in flight finish and keeps it: with a node that takes 1.5
 * s a step, a scheduler closed right after a job's first step waits for the second, commits it,
 * checkpoints the job at step 2, and its successor goes on at step 3. A job stopped in its VAE
 * decode resumes at the decode: its successor runs no DiT step.
 */
class StopDrainTest {
  private static final Caller ACME = new Caller("acme", "test", false);

  @TempDir Path dir;

  @Test
  void theStepInFlightWhenStoppingIsKept() throws Exception {
    try (InferenceNode node = startNode()) {
      SchedulerServer.Options options = options(node, Duration.ofSeconds(10));
      GenerateRequest request = request(6);
      Job job;
      long stopped;
      node.faults().addLatency("dit", 1500);
      try (SchedulerServer first = new SchedulerServer(options, Renderers.standard())) {
        SchedulerCore core = first.core();
        job = core.submit(ACME, request);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (core.get(ACME, job.getId()).getStep() < 1 || node.faults().requests("dit") < 2) {
          assertThat(System.nanoTime()).as("the first step").isLessThan(deadline);
          Thread.sleep(5);
        }
        // Step 2 reached the node (milliseconds ago, as step 1 came back); it takes 1.5 s.
        stopped = System.nanoTime();
      }
      long tookMs = (System.nanoTime() - stopped) / 1_000_000;
      node.faults().addLatency("dit", 0);

      try (SchedulerServer second = new SchedulerServer(options, Renderers.standard())) {
        SchedulerCore core = second.core();
        List<JobEvent> events =
            new ArrayList<>(DurableSchedulerTest.Recorder.of(core, ACME, job.getId(), 0).await());
        int restart = lastStarted(events);
        List<Integer> before = new ArrayList<>();
        for (JobEvent e : events.subList(0, restart)) {
          if (e.hasProgress()) {
            before.add(e.getProgress().getStep());
          }
        }
        assertThat(before)
            .as("the step in flight at the stop was kept (the stop took %d ms)", tookMs)
            .containsExactly(1, 2);
        int firstAfter =
            events.subList(restart, events.size()).stream()
                .filter(JobEvent::hasProgress)
                .findFirst()
                .orElseThrow()
                .getProgress()
                .getStep();
        assertThat(firstAfter).isEqualTo(3);
        assertThat(events).last().matches(JobEvent::hasCompleted, "completed");
      }
    }
  }

  @Test
  void aJobStoppedInItsDecodeResumesAtTheDecode() throws Exception {
    try (InferenceNode node = startNode()) {
      // Checkpoints only after the last step (every 100), and no grace: the decode in flight at
      // the stop is abandoned.
      SchedulerServer.Options options = options(node, Duration.ZERO);
      GenerateRequest request = request(4);
      Job job;
      node.faults().addLatency("vae", 3000);
      try (SchedulerServer first = new SchedulerServer(options, Renderers.standard())) {
        SchedulerCore core = first.core();
        job = core.submit(ACME, request);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (node.faults().requests("vae") < 1) {
          assertThat(System.nanoTime()).as("the decode").isLessThan(deadline);
          Thread.sleep(5);
        }
        assertThat(core.get(ACME, job.getId()).getStep()).isEqualTo(4);
      }
      node.faults().addLatency("vae", 0);
      long ditRequests = node.faults().requests("dit");

      try (SchedulerServer second = new SchedulerServer(options, Renderers.standard())) {
        SchedulerCore core = second.core();
        List<JobEvent> events =
            new ArrayList<>(DurableSchedulerTest.Recorder.of(core, ACME, job.getId(), 0).await());
        int restart = lastStarted(events);
        assertThat(events.subList(restart, events.size()))
            .as("no step again after the restart")
            .noneMatch(JobEvent::hasProgress);
        assertThat(node.faults().requests("dit")).isEqualTo(ditRequests);
        assertThat(events).last().matches(JobEvent::hasCompleted, "completed");
      }
    }
  }

  private static InferenceNode startNode() throws Exception {
    Path repository = Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
    return InferenceNode.start(
        NodeOptions.builder(repository).host("127.0.0.1").port(0).metricsPort(-1).build());
  }

  /**
   * One node, the SQLite store in {@code dir}, checkpoints every 100 steps: only after the last.
   */
  private SchedulerServer.Options options(InferenceNode node, Duration stopGrace) {
    return new SchedulerServer.Options(
        List.of("127.0.0.1:" + node.port()),
        List.of(PipelineSpec.reference()),
        null,
        dir.resolve("clips"),
        Duration.ofDays(7),
        EngineConfig.builder().checkpointEvery(100).stopGrace(stopGrace).build(),
        1,
        TestDatabases.sqlite(dir));
  }

  private static GenerateRequest request(int steps) {
    return GenerateRequest.newBuilder()
        .setPrompt("a red circle moving right")
        .setSeed(5)
        .setSteps(steps)
        .build();
  }

  /** The index of the last Started event: where the second scheduler took the job back. */
  private static int lastStarted(List<JobEvent> events) {
    int restart = -1;
    for (int i = 0; i < events.size(); i++) {
      if (events.get(i).hasStarted()) {
        restart = i;
      }
    }
    return restart;
  }
}
