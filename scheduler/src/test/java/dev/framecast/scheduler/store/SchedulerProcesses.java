package dev.framecast.scheduler.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.ClipChunk;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.scheduler.SchedulerServer;
import dev.framecast.scheduler.v1.Caller;
import dev.framecast.scheduler.v1.JobRequest;
import dev.framecast.scheduler.v1.SchedulerGrpc;
import dev.framecast.scheduler.v1.UsageRequest;
import dev.framecast.scheduler.v1.WatchRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Scheduler processes for the crash and standby tests: what {@code ./framecast scheduler} runs
 * (this module's classes and target/classpath.txt), on a job store, with clients that follow jobs
 * and reconnect as a real client would.
 */
final class SchedulerProcesses {
  static final List<String> TENANTS = List.of("acme", "globex", "initech");
  static final Duration TIMEOUT = Duration.ofSeconds(240);

  private SchedulerProcesses() {}

  /** A tenants file with room for a test's burst of submissions. */
  static Path tenants(Path dir) throws IOException {
    Path file = dir.resolve("tenants.yaml");
    Files.writeString(
        file,
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
    return file;
  }

  /** Starts a scheduler process; its output goes to {@code dir/<name>.log}. */
  static Process start(
      Path dir, String name, int port, int nodePort, SchedulerServer.Database database)
      throws IOException {
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
                dir.resolve("clips").toString(),
                "--tenants",
                dir.resolve("tenants.yaml").toString(),
                "--database",
                database.url(),
                "--database-user",
                database.user(),
                // In-process nodes and plaintext clients; mutual TLS has its own test.
                "--insecure")
            .redirectErrorStream(true)
            .redirectOutput(log(dir, name).toFile());
    builder.environment().put("FRAMECAST_DATABASE_PASSWORD", database.password());
    return builder.start();
  }

  static Path log(Path dir, String name) {
    return dir.resolve(name + ".log");
  }

  /** Waits until the process answers calls (it leads and has taken its jobs back). */
  static void awaitServing(ManagedChannel channel, Process scheduler, Duration within)
      throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      assertThat(scheduler.isAlive()).as("the scheduler process runs").isTrue();
      if (serving(channel)) {
        return;
      }
      assertThat(System.nanoTime()).as("serving within %s", within).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  static boolean serving(ManagedChannel channel) {
    // Ask now, not when the channel's reconnect backoff (up to minutes) next allows: what is
    // measured is when the scheduler serves.
    channel.resetConnectBackoff();
    try {
      stub(channel)
          .withDeadlineAfter(2, TimeUnit.SECONDS)
          .getUsage(UsageRequest.newBuilder().setCaller(caller(0)).build());
      return true;
    } catch (StatusRuntimeException e) {
      return false;
    }
  }

  /** Polls the jobs until one matches. */
  static void awaitAny(ManagedChannel channel, List<Job> jobs, Predicate<Job> wanted)
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
    throw new AssertionError("no job reached the state the test waits for");
  }

  /**
   * Follows one job's events as a client would: on a failure it reconnects (to the next of its
   * channels: the schedulers it knows) after the last seq it saw.
   */
  static final class Watcher extends Thread {
    final List<JobEvent> events = new CopyOnWriteArrayList<>();
    private final List<ManagedChannel> channels;
    private final Caller caller;
    private final String jobId;

    Watcher(List<ManagedChannel> channels, Caller caller, String jobId) {
      this.channels = channels;
      this.caller = caller;
      this.jobId = jobId;
      setDaemon(true);
    }

    @Override
    public void run() {
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      int attempt = 0;
      while (System.nanoTime() < deadline) {
        long after = events.isEmpty() ? 0 : events.get(events.size() - 1).getSeq();
        ManagedChannel channel = channels.get(attempt++ % channels.size());
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
          // the scheduler went away, or this one does not lead: reconnect after the last seq
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    /** The seqs received are 1, 2, 3, ... and the job completed once, last. */
    void assertCompleteAndInOrder(String what) {
      List<Long> seqs = events.stream().map(JobEvent::getSeq).toList();
      for (int k = 0; k < seqs.size(); k++) {
        assertThat(seqs.get(k)).as("%s: seq %d of %s", what, k, seqs).isEqualTo(k + 1L);
      }
      assertThat(events.stream().filter(JobEvent::hasCompleted).count())
          .as("%s completed once", what)
          .isEqualTo(1);
      assertThat(events.get(events.size() - 1).hasCompleted()).isTrue();
    }
  }

  static byte[] clip(ManagedChannel channel, Caller caller, String jobId) {
    ByteArrayOutputStream clip = new ByteArrayOutputStream();
    stub(channel)
        .getClip(JobRequest.newBuilder().setCaller(caller).setJobId(jobId).build())
        .forEachRemaining((ClipChunk c) -> clip.writeBytes(c.getData().toByteArray()));
    return clip.toByteArray();
  }

  static SchedulerGrpc.SchedulerBlockingStub stub(ManagedChannel channel) {
    return SchedulerGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  /** Job i's tenant: jobs are spread over the three tenants in turn. */
  static Caller caller(int i) {
    return Caller.newBuilder().setTenant(TENANTS.get(i % 3)).setSubject("test").build();
  }

  static JobRequest jobRequest(int i, String jobId) {
    return JobRequest.newBuilder().setCaller(caller(i)).setJobId(jobId).build();
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
