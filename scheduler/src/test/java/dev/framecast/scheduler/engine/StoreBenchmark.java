package dev.framecast.scheduler.engine;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.common.Caller;
import dev.framecast.scheduler.admission.Admission;
import dev.framecast.scheduler.admission.RateLimiter;
import dev.framecast.scheduler.admission.UsageLedger;
import dev.framecast.scheduler.metrics.SchedulerMetrics;
import dev.framecast.scheduler.node.NodePool;
import dev.framecast.scheduler.service.SchedulerCore;
import dev.framecast.scheduler.store.JobStore;
import dev.framecast.scheduler.store.StoreWriter;
import dev.framecast.scheduler.store.TestDatabases;
import dev.framecast.scheduler.tenant.TenantRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * What the job store costs a submission (docs/benchmarks.md, "Job store"): the scheduler's own
 * submit path ({@code SchedulerCore.submit}: validation, admission, the engine, and with a store
 * the wait for the commit) with no store, the embedded SQLite store and PostgreSQL.
 *
 * <ul>
 *   <li>throughput: 16 threads submit back to back for 10 s (after 3 s of warm-up);
 *   <li>time to first event: 2,000 submissions at 200 per second (after 1,000 not counted), each
 *       followed by a watcher; from the submit call to the watcher receiving the job's first event
 *       (queued). Measured first, while the engine holds few jobs.
 * </ul>
 *
 * No node is attached, so jobs stay queued and the numbers are the control path's alone. Run:
 * {@code ./framecast bench store [none|sqlite|postgresql ...]} (PostgreSQL from {@code
 * FRAMECAST_TEST_DATABASE}, default the local test server: {@code sudo .ci/postgres}).
 */
public final class StoreBenchmark {
  private static final int THREADS = 16;
  private static final Duration WARMUP = Duration.ofSeconds(3);
  private static final Duration RUN = Duration.ofSeconds(10);
  private static final int LATENCY_JOBS = 2_000;
  private static final int LATENCY_RATE = 200;
  private static final int LATENCY_WARMUP = 1_000;

  private StoreBenchmark() {}

  public static void main(String[] args) throws Exception {
    List<String> kinds = args.length == 0 ? List.of("none", "sqlite", "postgresql") : List.of(args);
    Path dir = Files.createTempDirectory("framecast-store-bench");
    Path tenants = dir.resolve("tenants.yaml");
    Files.writeString(
        tenants,
        """
        defaults:
          max_concurrent_jobs: 8
          max_queued_jobs: 1000000
          requests_per_minute: 1000000
          burst: 1000000
          max_open_streams: 1000000
          reads_per_minute: 1000000
          read_burst: 1000000
        tenants:
          bench: {}
        """);
    System.out.printf(
        "%-10s %12s %14s %10s %10s %10s%n",
        "store", "submits/s", "first event:", "p50 ms", "p99 ms", "max ms");
    for (String kind : kinds) {
      run(kind, dir, tenants);
    }
  }

  private static void run(String kind, Path dir, Path tenantsFile) throws Exception {
    JobStore store =
        switch (kind) {
          case "none" -> null;
          case "sqlite" -> TestDatabases.open(TestDatabases.sqlite(dir));
          case "postgresql" -> TestDatabases.open(TestDatabases.postgresql());
          default -> throw new IllegalArgumentException("none, sqlite or postgresql: " + kind);
        };
    Clock clock = Clock.systemUTC();
    StoreWriter writer =
        store == null ? null : new StoreWriter(store, clock, 1024, StoreWriter.Listener.NONE);
    ExecutorService workers = Executors.newSingleThreadExecutor();
    ExecutorService streams = Executors.newCachedThreadPool();
    EngineConfig config =
        EngineConfig.builder().maxJobs(1_000_000).noNodeTimeout(Duration.ofHours(1)).build();
    Engine engine =
        new Engine(
            config,
            Map.of("reference", TickBenchmark.PIPELINE),
            new NodePool(List.of(), Set.of("text_encoder", "dit", "vae"), Duration.ofSeconds(1)),
            tenant -> 1.0,
            tenant -> 8,
            UsageSink.NONE,
            null,
            TestParts.discardingStore(),
            workers,
            clock,
            writer == null ? Journal.NONE : writer,
            DailyQuota.NONE);
    TenantRegistry tenants = new TenantRegistry(tenantsFile);
    UsageLedger ledger = new UsageLedger(clock);
    SchedulerCore core =
        new SchedulerCore(
            engine,
            tenants,
            new Admission(tenants, new RateLimiter(), ledger),
            ledger,
            TestParts.discardingStore(),
            streams,
            new SchedulerMetrics(UsageSink.NONE),
            store);
    Caller caller = new Caller("bench", "bench", false);
    try {
      // First events first, while the engine holds few jobs: with no node, every job submitted
      // stays queued, and the throughput run leaves tens of thousands for each loop pass to walk.
      firstEvent(core, caller, LATENCY_WARMUP, 0);
      long[] firstEvent = firstEvent(core, caller, LATENCY_JOBS, LATENCY_WARMUP);
      throughput(core, caller, WARMUP);
      double rate = throughput(core, caller, RUN);
      System.out.printf(
          Locale.ROOT,
          "%-10s %12.0f %14s %10.2f %10.2f %10.2f%n",
          kind,
          rate,
          "",
          percentile(firstEvent, 0.50) / 1e6,
          percentile(firstEvent, 0.99) / 1e6,
          firstEvent[firstEvent.length - 1] / 1e6);
    } finally {
      engine.close();
      if (writer != null) {
        writer.close();
      }
      if (store != null) {
        store.close();
      }
      workers.shutdownNow();
      streams.shutdownNow();
    }
  }

  private static double throughput(SchedulerCore core, Caller caller, Duration duration)
      throws InterruptedException {
    AtomicLong submitted = new AtomicLong();
    long end = System.nanoTime() + duration.toNanos();
    List<Thread> threads = new ArrayList<>();
    long start = System.nanoTime();
    for (int t = 0; t < THREADS; t++) {
      Thread thread =
          new Thread(
              () -> {
                long seed = Thread.currentThread().getId() << 32;
                while (System.nanoTime() < end) {
                  core.submit(caller, request(seed++));
                  submitted.incrementAndGet();
                }
              });
      threads.add(thread);
      thread.start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    return submitted.get() / ((System.nanoTime() - start) / 1e9);
  }

  /** Nanoseconds from each submit call to its watcher's first event, sorted. */
  private static long[] firstEvent(SchedulerCore core, Caller caller, int jobs, long seedBase)
      throws InterruptedException {
    long[] latencies = new long[jobs];
    CountDownLatch done = new CountDownLatch(jobs);
    long interval = TimeUnit.SECONDS.toNanos(1) / LATENCY_RATE;
    long next = System.nanoTime();
    for (int i = 0; i < jobs; i++) {
      // Parked, not spinning: a spinning driver would hold one of this machine's two cores that
      // the scheduler's threads (loop, store writer, streams, the database) need.
      for (long wait = next - System.nanoTime(); wait > 0; wait = next - System.nanoTime()) {
        LockSupport.parkNanos(wait);
      }
      next += interval;
      int index = i;
      long start = System.nanoTime();
      String id = core.submit(caller, request(1_000_000_000L + seedBase + i)).getId();
      core.events(caller, id, 0)
          .subscribe(
              new Flow.Subscriber<JobEvent>() {
                private Flow.Subscription subscription;

                @Override
                public void onSubscribe(Flow.Subscription s) {
                  subscription = s;
                  s.request(1);
                }

                @Override
                public void onNext(JobEvent event) {
                  latencies[index] = System.nanoTime() - start;
                  subscription.cancel();
                  done.countDown();
                }

                @Override
                public void onError(Throwable t) {
                  done.countDown();
                }

                @Override
                public void onComplete() {}
              });
    }
    if (!done.await(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("first events missing");
    }
    Arrays.sort(latencies);
    return latencies;
  }

  private static double percentile(long[] sorted, double p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
  }

  private static GenerateRequest request(long seed) {
    return GenerateRequest.newBuilder()
        .setPrompt("a red circle moving right")
        .setSeed(seed)
        .setSteps(24)
        .build();
  }
}
