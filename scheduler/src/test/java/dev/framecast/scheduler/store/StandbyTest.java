package dev.framecast.scheduler.store;

import static dev.framecast.scheduler.store.SchedulerProcesses.awaitAny;
import static dev.framecast.scheduler.store.SchedulerProcesses.awaitServing;
import static dev.framecast.scheduler.store.SchedulerProcesses.caller;
import static dev.framecast.scheduler.store.SchedulerProcesses.freePort;
import static dev.framecast.scheduler.store.SchedulerProcesses.jobRequest;
import static dev.framecast.scheduler.store.SchedulerProcesses.log;
import static dev.framecast.scheduler.store.SchedulerProcesses.serving;
import static dev.framecast.scheduler.store.SchedulerProcesses.start;
import static dev.framecast.scheduler.store.SchedulerProcesses.stub;
import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobState;
import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.scheduler.SchedulerServer;
import dev.framecast.scheduler.v1.SubmitRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two scheduler processes on one PostgreSQL store: one leads, the other waits. Killing the leader
 * mid-run hands the lease to the standby within 10 s, and it completes every job; a leader that
 * stalls past its lease (SIGSTOP) while another takes over finds, when it wakes, that it may not
 * write, and stops.
 */
class StandbyTest {
  private static final int JOBS = 12;

  @TempDir Path dir;

  @Test
  void theStandbyTakesOverWithinTenSecondsAndADeposedLeaderStops() throws Exception {
    SchedulerServer.Database database = TestDatabases.postgresql();
    SchedulerProcesses.tenants(dir);
    Path models = Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
    List<Process> processes = new ArrayList<>();
    try (InferenceNode node =
        InferenceNode.start(
            NodeOptions.builder(models).host("127.0.0.1").port(0).metricsPort(-1).build())) {
      int portA = freePort();
      int portB = freePort();
      ManagedChannel a =
          ManagedChannelBuilder.forAddress("127.0.0.1", portA).usePlaintext().build();
      ManagedChannel b =
          ManagedChannelBuilder.forAddress("127.0.0.1", portB).usePlaintext().build();
      try {
        Process leader = start(dir, "a", portA, node.port(), database);
        processes.add(leader);
        awaitServing(a, leader, Duration.ofSeconds(60));
        Process standby = start(dir, "b", portB, node.port(), database);
        processes.add(standby);
        awaitLog(dir, "b", "standby");
        assertThat(serving(b)).as("the standby serves nothing").isFalse();

        List<Job> jobs = new ArrayList<>();
        List<SchedulerProcesses.Watcher> watchers = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
          Job job =
              stub(a)
                  .submit(
                      SubmitRequest.newBuilder()
                          .setCaller(caller(i))
                          .setRequest(
                              GenerateRequest.newBuilder()
                                  .setPrompt("a red circle moving right")
                                  .setSeed(i)
                                  .setSteps(10))
                          .build());
          jobs.add(job);
          SchedulerProcesses.Watcher watcher =
              new SchedulerProcesses.Watcher(List.of(a, b), caller(i), job.getId());
          watchers.add(watcher);
          watcher.start();
        }
        awaitAny(a, jobs, j -> j.getState() == JobState.RUNNING && j.getStep() >= 1);
        leader.destroyForcibly().waitFor();
        long killed = System.nanoTime();
        awaitServing(b, standby, Duration.ofSeconds(30));
        double takeover = (System.nanoTime() - killed) / 1e9;
        assertThat(takeover).as("the standby leads within 10 s").isLessThan(10);
        for (int i = 0; i < JOBS; i++) {
          watchers.get(i).join(SchedulerProcesses.TIMEOUT.toMillis());
          watchers.get(i).assertCompleteAndInOrder("job " + i);
          assertThat(stub(b).getJob(jobRequest(i, jobs.get(i).getId())).getState())
              .isEqualTo(JobState.SUCCEEDED);
        }

        // Fencing: b stalls past its lease, a new scheduler takes over, b wakes up.
        Process third = start(dir, "c", portA, node.port(), database);
        processes.add(third);
        awaitLog(dir, "c", "standby");
        signal(standby, "STOP");
        awaitServing(a, third, Duration.ofSeconds(30));
        signal(standby, "CONT");
        assertThat(standby.waitFor(20, TimeUnit.SECONDS)).as("the deposed leader stops").isTrue();
        assertThat(Files.readString(log(dir, "b"))).contains("deposed");
        Job after =
            stub(a)
                .submit(
                    SubmitRequest.newBuilder()
                        .setCaller(caller(0))
                        .setRequest(
                            GenerateRequest.newBuilder().setPrompt("a blue square").setSteps(4))
                        .build());
        awaitAny(a, List.of(after), j -> j.getState() == JobState.SUCCEEDED);
        System.out.printf("standby took over %.1f s after the leader was killed%n", takeover);
      } finally {
        a.shutdownNow();
        b.shutdownNow();
        for (Process p : processes) {
          p.destroyForcibly().waitFor();
        }
      }
    }
  }

  @Test
  void sigtermStopsTheLeaderCleanlyAndHandsTheLeadOverAtOnce() throws Exception {
    SchedulerServer.Database database = TestDatabases.postgresql();
    SchedulerProcesses.tenants(dir);
    Path models = Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
    List<Process> processes = new ArrayList<>();
    try (InferenceNode node =
        InferenceNode.start(
            NodeOptions.builder(models).host("127.0.0.1").port(0).metricsPort(-1).build())) {
      int portA = freePort();
      int portB = freePort();
      ManagedChannel a =
          ManagedChannelBuilder.forAddress("127.0.0.1", portA).usePlaintext().build();
      ManagedChannel b =
          ManagedChannelBuilder.forAddress("127.0.0.1", portB).usePlaintext().build();
      try {
        Process leader = start(dir, "a", portA, node.port(), database);
        processes.add(leader);
        awaitServing(a, leader, Duration.ofSeconds(60));
        Process standby = start(dir, "b", portB, node.port(), database);
        processes.add(standby);
        awaitLog(dir, "b", "standby");
        List<Job> jobs = new ArrayList<>();
        List<SchedulerProcesses.Watcher> watchers = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
          Job job =
              stub(a)
                  .submit(
                      SubmitRequest.newBuilder()
                          .setCaller(caller(i))
                          .setRequest(
                              GenerateRequest.newBuilder()
                                  .setPrompt("a green dot moving up")
                                  .setSeed(i)
                                  .setSteps(20))
                          .build());
          jobs.add(job);
          SchedulerProcesses.Watcher watcher =
              new SchedulerProcesses.Watcher(List.of(a, b), caller(i), job.getId());
          watchers.add(watcher);
          watcher.start();
        }
        awaitAny(a, jobs, j -> j.getState() == JobState.RUNNING && j.getStep() >= 1);
        leader.destroy(); // SIGTERM with the jobs running
        long stopped = System.nanoTime();
        assertThat(leader.waitFor(30, TimeUnit.SECONDS)).as("exits within the grace").isTrue();
        assertThat(leader.exitValue()).isIn(0, 143);
        awaitServing(b, standby, Duration.ofSeconds(30));
        double takeover = (System.nanoTime() - stopped) / 1e9;
        for (int i = 0; i < jobs.size(); i++) {
          watchers.get(i).join(SchedulerProcesses.TIMEOUT.toMillis());
          watchers.get(i).assertCompleteAndInOrder("job " + i);
        }
        assertThat(Files.readString(log(dir, "a"))).doesNotContain("SIGSEGV", "fatal error");
        try (var files = Files.list(dir)) {
          assertThat(files.map(f -> f.getFileName().toString()))
              .noneMatch(n -> n.startsWith("hs_err"));
        }
        System.out.printf("after SIGTERM the standby served %.1f s later%n", takeover);
        // The lease was given up, not left to expire.
        assertThat(takeover).isLessThan(4);
      } finally {
        a.shutdownNow();
        b.shutdownNow();
        for (Process p : processes) {
          p.destroyForcibly().waitFor();
        }
      }
    }
  }

  private static void signal(Process process, String signal) throws Exception {
    assertThat(
            new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                .start()
                .waitFor())
        .isZero();
  }

  private static void awaitLog(Path dir, String name, String text) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      Path log = log(dir, name);
      if (Files.exists(log) && Files.readString(log).contains(text)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError(name + " never logged '" + text + "'");
  }
}
