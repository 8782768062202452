package dev.framecast.scheduler.store;

import static dev.framecast.scheduler.store.SchedulerProcesses.TENANTS;
import static dev.framecast.scheduler.store.SchedulerProcesses.TIMEOUT;
import static dev.framecast.scheduler.store.SchedulerProcesses.awaitAny;
import static dev.framecast.scheduler.store.SchedulerProcesses.awaitServing;
import static dev.framecast.scheduler.store.SchedulerProcesses.caller;
import static dev.framecast.scheduler.store.SchedulerProcesses.clip;
import static dev.framecast.scheduler.store.SchedulerProcesses.freePort;
import static dev.framecast.scheduler.store.SchedulerProcesses.jobRequest;
import static dev.framecast.scheduler.store.SchedulerProcesses.log;
import static dev.framecast.scheduler.store.SchedulerProcesses.start;
import static dev.framecast.scheduler.store.SchedulerProcesses.stub;
import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.scheduler.Renderers;
import dev.framecast.scheduler.SchedulerServer;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import dev.framecast.scheduler.v1.Caller;
import dev.framecast.scheduler.v1.ListJobsRequest;
import dev.framecast.scheduler.v1.SubmitRequest;
import dev.framecast.scheduler.v1.UsageRequest;
import dev.framecast.scheduler.v1.WatchRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crash test of issue 17: a scheduler process on PostgreSQL is killed with SIGKILL three times
 * (with jobs queued, mid-denoise, mid-encode) and started again over the same store and clips,
 * while clients watch every job and reconnect. Every job ends SUCCEEDED exactly once with the clip
 * of an undisturbed run, keys create no second job, the streams continue with no gap or repeat, and
 * each tenant's usage is what its jobs were charged.
 */
class CrashRecoveryTest {
  private static final int JOBS = 30;
  private static final int STEPS = 6;

  @TempDir Path dir;

  @Test
  void killedThreeTimesEveryJobEndsOnceWithTheUndisturbedClip() throws Exception {
    SchedulerServer.Database database = TestDatabases.postgresql();
    SchedulerProcesses.tenants(dir);
    Path models = Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
    List<GenerateRequest> requests = new ArrayList<>();
    for (int i = 0; i < JOBS; i++) {
      GenerateRequest.Builder request =
          GenerateRequest.newBuilder()
              .setPrompt(
                  List.of("a red circle moving right", "a blue square", "a green dot").get(i % 3))
              .setSeed(100 + i)
              .setSteps(STEPS);
      if (i % 2 == 0) {
        request.setIdempotencyKey("key-" + i);
      }
      requests.add(request.build());
    }
    try (InferenceNode node =
        InferenceNode.start(
            NodeOptions.builder(models).host("127.0.0.1").port(0).metricsPort(-1).build())) {
      List<byte[]> undisturbed = undisturbed(node.port(), requests);

      int port = freePort();
      Process scheduler = start(dir, "scheduler-0", port, node.port(), database);
      ManagedChannel channel =
          ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
      try {
        awaitServing(channel, scheduler, Duration.ofSeconds(60));
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
          jobs.add(stub(channel).submit(submit(i, requests.get(i))));
        }
        Map<String, SchedulerProcesses.Watcher> watchers = new HashMap<>();
        for (int i = 0; i < JOBS; i++) {
          SchedulerProcesses.Watcher watcher =
              new SchedulerProcesses.Watcher(List.of(channel), caller(i), jobs.get(i).getId());
          watchers.put(jobs.get(i).getId(), watcher);
          watcher.start();
        }

        // 1. Queued: every job acknowledged, none started yet or only just.
        scheduler.destroyForcibly().waitFor();
        scheduler = start(dir, "scheduler-1", port, node.port(), database);
        awaitServing(channel, scheduler, Duration.ofSeconds(60));
        assertThat(tookBack(1)).as("unfinished after the first kill").isEqualTo(JOBS);
        // 2. Mid-denoise.
        awaitAny(
            channel,
            jobs,
            j -> j.getState() == JobState.RUNNING && j.getStep() >= 1 && j.getStep() < STEPS);
        scheduler.destroyForcibly().waitFor();
        scheduler = start(dir, "scheduler-2", port, node.port(), database);
        awaitServing(channel, scheduler, Duration.ofSeconds(60));
        assertThat(tookBack(2)).as("unfinished after the second kill").isPositive();
        // 3. Mid-encode: denoised, decoding or encoding the clip.
        awaitAny(channel, jobs, j -> j.getState() == JobState.RUNNING && j.getStep() == STEPS);
        scheduler.destroyForcibly().waitFor();
        scheduler = start(dir, "scheduler-3", port, node.port(), database);
        awaitServing(channel, scheduler, Duration.ofSeconds(60));
        assertThat(tookBack(3)).as("unfinished after the third kill").isPositive();

        Map<String, Double> charged = new HashMap<>();
        for (int i = 0; i < JOBS; i++) {
          SchedulerProcesses.Watcher watcher = watchers.get(jobs.get(i).getId());
          watcher.join(TIMEOUT.toMillis());
          assertThat(watcher.isAlive()).as("job %d's stream ended", i).isFalse();
          watcher.assertCompleteAndInOrder("job " + i);
          Job done = stub(channel).getJob(jobRequest(i, jobs.get(i).getId()));
          assertThat(done.getState()).isEqualTo(JobState.SUCCEEDED);
          assertThat(clip(channel, caller(i), done.getId()))
              .as("job %d's clip is the undisturbed run's", i)
              .isEqualTo(undisturbed.get(i));
          charged.merge(TENANTS.get(i % 3), done.getGpuSeconds(), Double::sum);
        }
        for (int i = 0; i < JOBS; i += 2) {
          assertThat(stub(channel).submit(submit(i, requests.get(i))).getId())
              .as("key-%d names the same job", i)
              .isEqualTo(jobs.get(i).getId());
        }
        for (int t = 0; t < TENANTS.size(); t++) {
          Caller caller = caller(t);
          assertThat(
                  stub(channel)
                      .listJobs(
                          ListJobsRequest.newBuilder()
                              .setCaller(caller)
                              .setRequest(
                                  dev.framecast.api.v1.ListJobsRequest.newBuilder()
                                      .setPageSize(100))
                              .build())
                      .getJobsCount())
              .isEqualTo(JOBS / TENANTS.size());
          double usage =
              stub(channel)
                  .getUsage(UsageRequest.newBuilder().setCaller(caller).build())
                  .getGpuSecondsToday();
          assertThat(usage)
              .as("%s is charged what its jobs were, reruns once", TENANTS.get(t))
              .isCloseTo(
                  charged.get(TENANTS.get(t)), org.assertj.core.data.Percentage.withPercentage(1));
        }
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        scheduler.destroyForcibly().waitFor();
      }
    }
  }

  /** How many jobs the scheduler of that run took back from the store (from its log). */
  private int tookBack(int run) throws IOException {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("took back (\\d+) unfinished jobs")
            .matcher(Files.readString(log(dir, "scheduler-" + run)));
    assertThat(m.find()).as("run %d logged its recovery", run).isTrue();
    return Integer.parseInt(m.group(1));
  }

  /** The same requests through a scheduler nobody disturbs: the clips to compare with. */
  private List<byte[]> undisturbed(int nodePort, List<GenerateRequest> requests) throws Exception {
    String name = "undisturbed-" + System.nanoTime();
    try (SchedulerServer server =
        new SchedulerServer(
                new SchedulerServer.Options(
                    List.of("127.0.0.1:" + nodePort),
                    List.of(PipelineSpec.reference()),
                    dir.resolve("tenants.yaml"),
                    dir.resolve("undisturbed-clips"),
                    Duration.ofDays(1),
                    EngineConfig.defaults(),
                    1),
                Renderers.standard())
            .serve(InProcessServerBuilder.forName(name))) {
      ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
      try {
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
          jobs.add(stub(channel).submit(submit(i, requests.get(i))));
        }
        List<byte[]> clips = new ArrayList<>();
        for (int i = 0; i < jobs.size(); i++) {
          Iterator<JobEvent> events =
              stub(channel)
                  .watch(
                      WatchRequest.newBuilder()
                          .setCaller(caller(i))
                          .setJobId(jobs.get(i).getId())
                          .build());
          events.forEachRemaining(e -> {});
          clips.add(clip(channel, caller(i), jobs.get(i).getId()));
        }
        return clips;
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static SubmitRequest submit(int i, GenerateRequest request) {
    return SubmitRequest.newBuilder().setCaller(caller(i)).setRequest(request).build();
  }
}
