package dev.framecast.scheduler.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.rpc.QuotaFailure;
import com.google.rpc.RetryInfo;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobState;
import dev.framecast.common.Caller;
import dev.framecast.common.errors.QuotaExceededException;
import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.scheduler.Renderers;
import dev.framecast.scheduler.SchedulerServer;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daily GPU-seconds quota is checked as GPU-seconds accrue, not only at admission: a tenant
 * whose running job crosses it keeps that job (it finishes), its queued jobs fail with the quota's
 * refusal, and new submissions are refused.
 */
class DailyQuotaTest {
  @TempDir Path dir;

  @Test
  void crossingTheQuotaFinishesTheRunningJobAndFailsTheQueuedOnes() throws Exception {
    Path tenants = dir.resolve("tenants.yaml");
    Files.writeString(
        tenants,
        """
        tenants:
          globex:
            max_concurrent_jobs: 1
            gpu_seconds_per_day: 0.05
        """);
    Path models = Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
    Caller globex = new Caller("globex", "test", false);
    try (InferenceNode node =
            InferenceNode.start(
                NodeOptions.builder(models).host("127.0.0.1").port(0).metricsPort(-1).build());
        SchedulerServer server =
            new SchedulerServer(
                new SchedulerServer.Options(
                    List.of("127.0.0.1:" + node.port()),
                    List.of(PipelineSpec.reference()),
                    tenants,
                    dir.resolve("clips"),
                    Duration.ofDays(1),
                    EngineConfig.defaults(),
                    1),
                Renderers.standard())) {
      SchedulerCore core = server.core();
      GenerateRequest request =
          GenerateRequest.newBuilder().setPrompt("a red circle").setSteps(100).setSeed(1).build();
      Job running = core.submit(globex, request);
      Job queued1 = core.submit(globex, request.toBuilder().setSeed(2).build());
      Job queued2 = core.submit(globex, request.toBuilder().setSeed(3).build());

      Job first = await(core, globex, running.getId());
      assertThat(first.getState())
          .as("the job that crossed the quota finishes")
          .isEqualTo(JobState.SUCCEEDED);
      assertThat(first.getGpuSeconds()).isGreaterThan(0.05);
      for (Job job : List.of(queued1, queued2)) {
        Job ended = await(core, globex, job.getId());
        assertThat(ended.getState()).isEqualTo(JobState.FAILED);
        assertThat(ended.getStartedTime().getSeconds()).as("never started").isZero();
        com.google.rpc.Status error = ended.getError();
        assertThat(error.getCode()).isEqualTo(io.grpc.Status.Code.RESOURCE_EXHAUSTED.value());
        assertThat(error.getMessage()).contains("gpu_seconds_per_day");
        com.google.protobuf.Any quota =
            error.getDetailsList().stream()
                .filter(d -> d.is(QuotaFailure.class))
                .findFirst()
                .orElseThrow();
        assertThat(quota.unpack(QuotaFailure.class).getViolations(0).getSubject())
            .contains("globex");
        assertThat(error.getDetailsList()).anyMatch(d -> d.is(RetryInfo.class));
      }
      assertThatThrownBy(() -> core.submit(globex, request.toBuilder().setSeed(4).build()))
          .isInstanceOf(QuotaExceededException.class);
      assertThat(core.usage(globex, "").getGpuSecondsToday()).isGreaterThan(0.05);
    }
  }

  private static Job await(SchedulerCore core, Caller caller, String id)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (true) {
      Job job = core.get(caller, id);
      if (job.getState() == JobState.SUCCEEDED
          || job.getState() == JobState.FAILED
          || job.getState() == JobState.CANCELLED) {
        return job;
      }
      assertThat(System.nanoTime()).as("job %s ends", id).isLessThan(deadline);
      Thread.sleep(20);
    }
  }
}
