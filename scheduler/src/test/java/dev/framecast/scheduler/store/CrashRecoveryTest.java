package dev.framecast.scheduler.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.ClipChunk;
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
import dev.framecast.scheduler.v1.JobRequest;
import dev.framecast.scheduler.v1.ListJobsRequest;
import dev.framecast.scheduler.v1.SchedulerGrpc;
import dev.framecast.scheduler.v1.SubmitRequest;
import dev.framecast.scheduler.v1.UsageRequest;
import dev.framecast.scheduler.v1.WatchRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
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
  private static final List<String> TENANTS = List.of("acme", "globex", "initech");
  private static final int JOBS = 30;
  private static final int STEPS = 6;
  private static final Duration TIMEOUT = Duration.ofSeconds(240);

  @TempDir Path dir;

  @Test
  void killedThreeTimesEveryJobEndsOnceWithTheUndisturbedClip() throws Exception {
    SchedulerServer.Database database = TestDatabases.postgresql();
    Files.writeString(
        tenants(),
        """
        defaults:
          max_concurrent_jobs: 8
          max_queued_jobs: 64
          requests_per_minute: 6000
          burst: 100
        tenants:
          acme: {weight: 2}
          globex: {}
          initech: {}
        """);
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
      Path clips = dir.resolve("clips");
      Process scheduler = start(port, node.port(), clips, database, 0);
      ManagedChannel channel =
          ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
      try {
        awaitServing(channel, scheduler);
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
          jobs.add(stub(channel).submit(submit(i, requests.get(i))));
        }
        Map<String, Watcher> watchers = new HashMap<>();
        for (int i = 0; i < JOBS; i++) {
          Watcher watcher = new Watcher(channel, caller(i), jobs.get(i).getId());
          watchers.put(jobs.get(i).getId(), watcher);
          watcher.start();
        }

        // 1. Queued: every job acknowledged, none started yet or only just.
        scheduler.destroyForcibly().waitFor();
        scheduler = start(port, node.port(), clips, database, 1);
        awaitServing(channel, scheduler);
        assertThat(tookBack(1)).as("unfinished after the first kill").isEqualTo(JOBS);
        // 2. Mid-denoise.
        awaitAny(
            channel,
            jobs,
            j -> j.getState() == JobState.RUNNING && j.getStep() >= 1 && j.getStep() < STEPS);
        scheduler.destroyForcibly().waitFor();
        scheduler = start(port, node.port(), clips, database, 2);
        awaitServing(channel, scheduler);
        assertThat(tookBack(2)).as("unfinished after the second kill").isPositive();
        // 3. Mid-encode: denoised, decoding or encoding the clip.
        awaitAny(channel, jobs, j -> j.getState() == JobState.RUNNING && j.getStep() == STEPS);
        scheduler.destroyForcibly().waitFor();
        scheduler = start(port, node.port(), clips, database, 3);
        awaitServing(channel, scheduler);
        assertThat(tookBack(3)).as("unfinished after the third kill").isPositive();

        Map<String, Double> charged = new HashMap<>();
        for (int i = 0; i < JOBS; i++) {
          Watcher watcher = watchers.get(jobs.get(i).getId());
          watcher.join(TIMEOUT.toMillis());
          assertThat(watcher.isAlive()).as("job %d's stream ended", i).isFalse();
          List<Long> seqs = watcher.events.stream().map(JobEvent::getSeq).toList();
          for (int k = 0; k < seqs.size(); k++) {
            assertThat(seqs.get(k)).as("job %d: seq %d of %s", i, k, seqs).isEqualTo(k + 1L);
          }
          assertThat(watcher.events.stream().filter(JobEvent::hasCompleted).count())
              .as("job %d completed once", i)
              .isEqualTo(1);
          assertThat(watcher.events.get(watcher.events.size() - 1).hasCompleted()).isTrue();
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
            .matcher(Files.readString(dir.resolve("scheduler-" + run + ".log")));
    assertThat(m.find()).as("run %d logged its recovery", run).isTrue();
    return Integer.parseInt(m.group(1));
  }

  private Path tenants() {
    return dir.resolve("tenants.yaml");
  }

  /** The same requests through a scheduler nobody disturbs: the clips to compare with. */
  private List<byte[]> undisturbed(int nodePort, List<GenerateRequest> requests) throws Exception {
    String name = "undisturbed-" + System.nanoTime();
    try (SchedulerServer server =
        new SchedulerServer(
                new SchedulerServer.Options(
                    List.of("127.0.0.1:" + nodePort),
                    List.of(PipelineSpec.reference()),
                    tenants(),
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

  /** A scheduler process (what ./framecast scheduler runs) on the store. */
  private Process start(
      int port, int nodePort, Path clips, SchedulerServer.Database database, int run)
      throws IOException {
    Path log = dir.resolve("scheduler-" + run + ".log");
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:ErrorFile=" + dir.resolve("hs_err_pid%p.log"),
                "-cp",
                Path.of("target", "classes").toAbsolutePath()
                    + java.io.File.pathSeparator
                    + Files.readString(Path.of("target", "classpath.txt")).trim(),
                "dev.framecast.scheduler.SchedulerMain",
                "--port",
                Integer.toString(port),
                "--metrics-port",
                "-1",
                "--nodes",
                "127.0.0.1:" + nodePort,
                "--clips",
                clips.toString(),
                "--tenants",
                tenants().toString(),
                "--database",
                database.url(),
                "--database-user",
                database.user())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().put("FRAMECAST_DATABASE_PASSWORD", database.password());
    return builder.start();
  }

  private static void awaitServing(ManagedChannel channel, Process scheduler) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      assertThat(scheduler.isAlive()).as("the scheduler process runs").isTrue();
      try {
        stub(channel)
            .withDeadlineAfter(2, TimeUnit.SECONDS)
            .getUsage(UsageRequest.newBuilder().setCaller(caller(0)).build());
        return;
      } catch (StatusRuntimeException e) {
        assertThat(System.nanoTime()).as("serving within 60 s").isLessThan(deadline);
        Thread.sleep(50);
      }
    }
  }

  private static void awaitAny(ManagedChannel channel, List<Job> jobs, Predicate<Job> wanted)
      throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < jobs.size(); i++) {
        if (wanted.test(stub(channel).getJob(jobRequest(i, jobs.get(i).getId())))) {
          return;
        }
      }
      Thread.sleep(2);
    }
    throw new AssertionError("no job reached the state to kill the scheduler in");
  }

  /** Follows one job's events as a client would, reconnecting after the last seq it saw. */
  static final class Watcher extends Thread {
    final List<JobEvent> events = new CopyOnWriteArrayList<>();
    private final ManagedChannel channel;
    private final Caller caller;
    private final String jobId;

    Watcher(ManagedChannel channel, Caller caller, String jobId) {
      this.channel = channel;
      this.caller = caller;
      this.jobId = jobId;
      setDaemon(true);
    }

    @Override
    public void run() {
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (System.nanoTime() < deadline) {
        long after = events.isEmpty() ? 0 : events.get(events.size() - 1).getSeq();
        try {
          Iterator<JobEvent> stream =
              SchedulerGrpc.newBlockingStub(channel)
                  .withDeadlineAfter(TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                  .watch(
                      WatchRequest.newBuilder()
                          .setCaller(caller)
                          .setJobId(jobId)
                          .setAfterSeq(after)
                          .build());
          while (stream.hasNext()) {
            JobEvent event = stream.next();
            events.add(event);
            if (event.hasCompleted() || event.hasFailed() || event.hasCancelled()) {
              return;
            }
          }
        } catch (StatusRuntimeException e) {
          // the scheduler went away: reconnect after the last seq seen
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  private static byte[] clip(ManagedChannel channel, Caller caller, String jobId) {
    ByteArrayOutputStream clip = new ByteArrayOutputStream();
    stub(channel)
        .getClip(JobRequest.newBuilder().setCaller(caller).setJobId(jobId).build())
        .forEachRemaining((ClipChunk c) -> clip.writeBytes(c.getData().toByteArray()));
    return clip.toByteArray();
  }

  private static SchedulerGrpc.SchedulerBlockingStub stub(ManagedChannel channel) {
    return SchedulerGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  private static Caller caller(int i) {
    return Caller.newBuilder().setTenant(TENANTS.get(i % 3)).setSubject("crash-test").build();
  }

  private static SubmitRequest submit(int i, GenerateRequest request) {
    return SubmitRequest.newBuilder().setCaller(caller(i)).setRequest(request).build();
  }

  private static JobRequest jobRequest(int i, String jobId) {
    return JobRequest.newBuilder().setCaller(caller(i)).setJobId(jobId).build();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
