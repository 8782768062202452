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
import java.io.IOException;
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
 * write, and stops; a leader stopped with SIGTERM exits cleanly and hands over at once.
 */
class StandbyTest {
  @TempDir Path dir;

  @Test
  void theStandbyTakesOverWithinTenSecondsAndADeposedLeaderStops() throws Exception {
    try (Cluster cluster = new Cluster(dir)) {
      List<SchedulerProcesses.Watcher> watchers =
          cluster.submit(12, "a red circle moving right", 10);
      awaitAny(cluster.a, cluster.jobs, j -> j.getState() == JobState.RUNNING && j.getStep() >= 1);
      cluster.leader.destroyForcibly().waitFor();
      long killed = System.nanoTime();
      awaitServing(cluster.b, cluster.standby, Duration.ofSeconds(30));
      double takeover = (System.nanoTime() - killed) / 1e9;
      assertThat(takeover).as("the standby leads within 10 s").isLessThan(10);
      cluster.awaitAll(watchers);
      for (int i = 0; i < cluster.jobs.size(); i++) {
        assertThat(stub(cluster.b).getJob(jobRequest(i, cluster.jobs.get(i).getId())).getState())
            .isEqualTo(JobState.SUCCEEDED);
      }

      // Fencing: b stalls past its lease, a new scheduler takes over, b wakes up.
      Process third = cluster.start("c", cluster.portA);
      awaitLog(dir, "c", "standby");
      signal(cluster.standby, "STOP");
      awaitServing(cluster.a, third, Duration.ofSeconds(30));
      signal(cluster.standby, "CONT");
      assertThat(cluster.standby.waitFor(20, TimeUnit.SECONDS))
          .as("the deposed leader stops")
          .isTrue();
      assertThat(Files.readString(log(dir, "b"))).contains("deposed");
      Job after =
          stub(cluster.a)
              .submit(
                  SubmitRequest.newBuilder()
                      .setCaller(caller(0))
                      .setRequest(
                          GenerateRequest.newBuilder().setPrompt("a blue square").setSteps(4))
                      .build());
      awaitAny(cluster.a, List.of(after), j -> j.getState() == JobState.SUCCEEDED);
      System.out.printf("standby took over %.1f s after the leader was killed%n", takeover);
    }
  }

  @Test
  void sigtermStopsTheLeaderCleanlyAndHandsTheLeadOverAtOnce() throws Exception {
    try (Cluster cluster = new Cluster(dir)) {
      List<SchedulerProcesses.Watcher> watchers = cluster.submit(6, "a green dot moving up", 20);
      awaitAny(cluster.a, cluster.jobs, j -> j.getState() == JobState.RUNNING && j.getStep() >= 1);
      cluster.leader.destroy(); // SIGTERM with the jobs running
      long stopped = System.nanoTime();
      assertThat(cluster.leader.waitFor(30, TimeUnit.SECONDS))
          .as("exits within the grace")
          .isTrue();
      assertThat(cluster.leader.exitValue()).isIn(0, 143);
      awaitServing(cluster.b, cluster.standby, Duration.ofSeconds(30));
      double takeover = (System.nanoTime() - stopped) / 1e9;
      cluster.awaitAll(watchers);
      assertThat(Files.readString(log(dir, "a"))).doesNotContain("SIGSEGV", "fatal error");
      try (var files = Files.list(dir)) {
        assertThat(files.map(f -> f.getFileName().toString()))
            .noneMatch(n -> n.startsWith("hs_err"));
      }
      System.out.printf("after SIGTERM the standby served %.1f s later%n", takeover);
      // The lease was given up, not left to expire.
      assertThat(takeover).isLessThan(4);
    }
  }

  /**
   * An inference node, a leading scheduler process ({@code a}) and a standby ({@code b}) on a fresh
   * PostgreSQL schema, a channel to each, and the jobs submitted to the leader.
   */
  private static final class Cluster implements AutoCloseable {
    final Path dir;
    final SchedulerServer.Database database = TestDatabases.postgresql();
    final InferenceNode node;
    final int portA = freePort();
    final int portB = freePort();
    final ManagedChannel a = channel(portA);
    final ManagedChannel b = channel(portB);
    final List<Process> processes = new ArrayList<>();
    final List<Job> jobs = new ArrayList<>();
    final Process leader;
    final Process standby;

    Cluster(Path dir) throws Exception {
      this.dir = dir;
      SchedulerProcesses.tenants(dir);
      Path models = Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
      node =
          InferenceNode.start(
              NodeOptions.builder(models).host("127.0.0.1").port(0).metricsPort(-1).build());
      leader = start("a", portA);
      awaitServing(a, leader, Duration.ofSeconds(60));
      standby = start("b", portB);
      awaitLog(dir, "b", "standby");
      assertThat(serving(b)).as("the standby serves nothing").isFalse();
    }

    Process start(String name, int port) throws IOException {
      Process process = SchedulerProcesses.start(dir, name, port, node.port(), database);
      processes.add(process);
      return process;
    }

    /** Submits jobs to the leader, each followed by a client that knows both schedulers. */
    List<SchedulerProcesses.Watcher> submit(int count, String prompt, int steps) {
      List<SchedulerProcesses.Watcher> watchers = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        Job job =
            stub(a)
                .submit(
                    SubmitRequest.newBuilder()
                        .setCaller(caller(i))
                        .setRequest(
                            GenerateRequest.newBuilder()
                                .setPrompt(prompt)
                                .setSeed(i)
                                .setSteps(steps))
                        .build());
        jobs.add(job);
        SchedulerProcesses.Watcher watcher =
            new SchedulerProcesses.Watcher(List.of(a, b), caller(i), job.getId());
        watchers.add(watcher);
        watcher.start();
      }
      return watchers;
    }

    /** Every watched job completed once, its events in order with no gap. */
    void awaitAll(List<SchedulerProcesses.Watcher> watchers) throws InterruptedException {
      for (int i = 0; i < watchers.size(); i++) {
        watchers.get(i).join(SchedulerProcesses.TIMEOUT.toMillis());
        watchers.get(i).assertCompleteAndInOrder("job " + i);
      }
    }

    private static ManagedChannel channel(int port) {
      return ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    }

    @Override
    public void close() throws InterruptedException {
      a.shutdownNow();
      b.shutdownNow();
      for (Process p : processes) {
        p.destroyForcibly().waitFor();
      }
      node.close();
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
