package dev.framecast.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.JobEvent;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.metrics.SchedulerMetrics;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The baselines on the real engine and real inference nodes: FCFS failover, static batching's delay
 * kept to the millisecond by the loop, and the loop's CPU and job-step counts.
 */
class SchedulingPolicyEngineTest {

  @Test
  void underFcfsStoppingOneOfTwoNodesMidRunStillCompletesEveryJobOneJobPerNode() throws Exception {
    try (Harness harness =
        new Harness(2, EngineConfig.builder().policy(SchedulingPolicy.fcfs()).build())) {
      List<Job> jobs = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        jobs.add(harness.submit("acme", Harness.request("a blue bar moving left", i, 6)));
      }
      int mostDenoising = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (jobs.stream().noneMatch(j -> j.step() >= 1) && System.nanoTime() < deadline) {
        mostDenoising = Math.max(mostDenoising, denoising(jobs));
        Thread.sleep(5);
      }
      harness.nodes.get(0).faults().stopAbruptly();
      while (!jobs.stream().allMatch(j -> j.events().closed()) && System.nanoTime() < deadline) {
        mostDenoising = Math.max(mostDenoising, denoising(jobs));
        Thread.sleep(5);
      }
      for (Job job : jobs) {
        List<JobEvent> events = Harness.awaitEnd(job, Duration.ofSeconds(240));
        assertThat(events.get(events.size() - 1).hasCompleted())
            .as("job %s: %s", job.id(), events.get(events.size() - 1))
            .isTrue();
      }
      assertThat(mostDenoising).isBetween(1, 2); // one job per node
    }
  }

  private static int denoising(List<Job> jobs) {
    return (int) jobs.stream().filter(j -> j.phase() == JobPhase.DENOISING).count();
  }

  @Test
  void staticBatchingStartsALoneJobWhenItsDelayRunsOutAndTheLoopCountsItsWork() throws Exception {
    Duration delay = Duration.ofMillis(250);
    List<String> logged = new ArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            synchronized (logged) {
              logged.add(record.getMessage());
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger engineLog = Logger.getLogger(Engine.class.getName());
    engineLog.addHandler(capture);
    SchedulerMetrics metrics = new SchedulerMetrics(UsageSink.NONE);
    EngineConfig config =
        EngineConfig.builder().policy(SchedulingPolicy.staticBatching(8, delay)).build();
    try (Harness harness = new Harness(1, config, metrics)) {
      metrics.bind(harness.engine);
      synchronized (logged) {
        assertThat(logged).contains("scheduling policy: static (batch 8, delay 250 ms)");
      }
      // The first job caches the prompts, so the next ones are ready the moment they arrive.
      Job first = harness.submit("acme", Harness.request("a white dot", 0, 1));
      assertThat(Harness.awaitEnd(first, Duration.ofSeconds(60)).get(0).hasQueued()).isTrue();

      // Alone, each waits the delay for company, then starts: on time, not at the loop's next
      // 100 ms idle wake. A late start would land anywhere in 0-100 ms past the delay, so at most
      // 2 of 8 jobs may start over 25 ms late (a pause of the machine can delay one or two; the
      // idle wake would pass this with probability 0.4%).
      long jobSteps = 1;
      List<Duration> late = new ArrayList<>();
      for (int i = 1; i <= 8; i++) {
        Job job = harness.submit("acme", Harness.request("a white dot", i, 1));
        List<JobEvent> events = Harness.awaitEnd(job, Duration.ofSeconds(60));
        assertThat(events.get(events.size() - 1).hasCompleted()).isTrue();
        Duration waited = Duration.between(job.created(), job.started());
        assertThat(waited).as("job %d waited", i).isGreaterThanOrEqualTo(delay);
        late.add(waited.minus(delay));
        jobSteps += 1;
      }
      assertThat(late)
          .as("lateness past the delay")
          .filteredOn(d -> d.toMillis() > 25)
          .hasSizeLessThanOrEqualTo(2);

      assertThat(harness.engine.jobSteps()).isEqualTo(jobSteps);
      long cpu = harness.engine.loopCpuNanos();
      assertThat(cpu).isPositive();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      PrometheusTextFormatWriter.create().write(out, metrics.registry().scrape());
      String text = out.toString(StandardCharsets.UTF_8);
      Matcher loopCpu =
          Pattern.compile("(?m)^framecast_scheduler_loop_cpu_seconds_total (\\S+)$").matcher(text);
      assertThat(loopCpu.find()).as(text).isTrue();
      assertThat(Double.parseDouble(loopCpu.group(1))).isGreaterThanOrEqualTo(cpu / 1e9);
      Matcher steps =
          Pattern.compile("(?m)^framecast_scheduler_batch_size_sum (\\S+)$").matcher(text);
      assertThat(steps.find()).as(text).isTrue();
      assertThat(Double.parseDouble(steps.group(1))).isEqualTo((double) jobSteps);
    } finally {
      engineLog.removeHandler(capture);
      metrics.close();
    }
  }
}
