package dev.framecast.loadtest;

import dev.framecast.cli.CliException;
import dev.framecast.cli.embedded.EmbeddedGateway;
import dev.framecast.node.sim.SimulatedProfile;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs one policy on one scenario variant: starts the simulated fleet (in this process) and the
 * gateway (a child process, embedded scheduler over the fleet, the policy and a generated
 * tenants.yaml), mints each tenant a real token from the gateway's development issuer, sends the
 * arrivals at their intended instants over gRPC, samples the scheduler's metrics, and stops it all.
 */
final class Runner {
  /** How often the system is sampled. */
  static final Duration SAMPLE_EVERY = Duration.ofMillis(500);

  private final Path root;
  private final Path gatewayJar;
  private final PrintStream log;
  private final long seed;

  Runner(Path root, Path gatewayJar, PrintStream log, long seed) {
    this.root = root;
    this.gatewayJar = gatewayJar;
    this.log = log;
    this.seed = seed;
  }

  Run run(Scenario scenario, Scenario.Variant variant, Policy policy, Path workDir)
      throws IOException, InterruptedException, CliException {
    Files.createDirectories(workDir);
    Path tenantsFile = workDir.resolve("tenants.yaml");
    Files.writeString(tenantsFile, tenantsYaml(variant.tenants()));
    Path clips = Files.createDirectories(workDir.resolve("clips"));
    Fleet fleet = null;
    if (!scenario.realModels()) {
      SimulatedProfile profile =
          SimulatedProfile.load(
              root.resolve("loadtest/profiles").resolve(scenario.profile()), scenario.timeScale());
      fleet = Fleet.start(root.resolve("triton-models"), profile, scenario.nodes());
    }
    try {
      int metricsPort = EmbeddedGateway.freePort();
      Map<String, String> settings = new LinkedHashMap<>();
      settings.put("FRAMECAST_EMBEDDED_TENANTS_FILE", tenantsFile.toString());
      settings.put("FRAMECAST_EMBEDDED_CLIP_DIRECTORY", clips.toString());
      settings.put("FRAMECAST_EMBEDDED_SCHEDULER_METRICS_PORT", Integer.toString(metricsPort));
      settings.put("FRAMECAST_EMBEDDED_POLICY", policy.setting());
      settings.put("FRAMECAST_EMBEDDED_STATIC_BATCH", Integer.toString(scenario.staticBatch()));
      long delayMillis =
          Math.max(1, Math.round(scenario.staticDelay().toNanos() * scenario.timeScale() / 1e6));
      settings.put("FRAMECAST_EMBEDDED_STATIC_DELAY", delayMillis + "ms");
      if (fleet != null) {
        settings.put("FRAMECAST_EMBEDDED_NODES", String.join(",", fleet.addresses()));
      }
      log.printf(
          "  starting the gateway (%s, %s)%n",
          policy.title(), fleet == null ? "real ONNX models" : fleet.size() + " simulated nodes");
      try (EmbeddedGateway gateway =
          EmbeddedGateway.start(
              new EmbeddedGateway.Options(
                  gatewayJar,
                  root.resolve("triton-models"),
                  false,
                  EmbeddedGateway.DEFAULT_READY_TIMEOUT,
                  settings,
                  List.of()),
              log)) {
        Map<String, String> tokens = new LinkedHashMap<>();
        for (TenantLoad tenant : variant.tenants()) {
          tokens.put(tenant.tenant(), gateway.mintToken(tenant.tenant()));
        }
        return drive(scenario, variant, policy, fleet, gateway, metricsPort, tokens);
      }
    } finally {
      if (fleet != null) {
        fleet.close();
      }
      EmbeddedGateway.deleteTree(
          clips); // thousands of clips nobody watches; the tenants file stays beside
    }
  }

  private Run drive(
      Scenario scenario,
      Scenario.Variant variant,
      Policy policy,
      Fleet fleet,
      EmbeddedGateway gateway,
      int metricsPort,
      Map<String, String> tokens)
      throws InterruptedException {
    long duration = scenario.duration().toNanos();
    long start = System.nanoTime();
    List<JobRecord> jobs = Collections.synchronizedList(new ArrayList<>());
    List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
    long[] nodeLoss = {-1};
    try (LoadClient client =
        new LoadClient(gateway.address().host(), gateway.address().port(), tokens, start)) {
      Sampler sampler =
          new Sampler(
              URI.create("http://127.0.0.1:" + metricsPort + "/metrics"),
              fleet,
              gateway.process(),
              client);
      ScheduledExecutorService timer =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "loadtest-sampler");
                t.setDaemon(true);
                return t;
              });
      timer.scheduleAtFixedRate(
          () -> sampler.sample(client.now()).ifPresent(samples::add),
          0,
          SAMPLE_EVERY.toMillis(),
          TimeUnit.MILLISECONDS);
      if (fleet != null && scenario.nodeLoss() != null) {
        long at = (long) (duration * scenario.nodeLoss().at());
        timer.schedule(
            () -> {
              for (int i = 0; i < scenario.nodeLoss().count(); i++) {
                fleet.stop(fleet.size() - 1 - i);
              }
              nodeLoss[0] = client.now();
              log.printf("  stopped %d nodes at %.1f s%n", scenario.nodeLoss().count(), at / 1e9);
            },
            at,
            TimeUnit.NANOSECONDS);
      }
      if (scenario.concurrency() > 0) {
        closedLoop(scenario, variant, client, jobs, duration);
      } else {
        openLoop(scenario, variant, client, jobs, duration);
      }
      long arrivalsEnd = client.now();
      if (!scenario.drain().isZero()) {
        long deadline = arrivalsEnd + scenario.drain().toNanos();
        long warmup = scenario.warmup().toNanos();
        while (client.now() < deadline && !measuredEnded(jobs, warmup, arrivalsEnd)) {
          Thread.sleep(50);
        }
      }
      long end = client.now();
      client.stopping();
      timer.shutdownNow();
      timer.awaitTermination(5, TimeUnit.SECONDS);
      // The last sample closes every figure's window: worth a few tries.
      Optional<Sample> last = Optional.empty();
      for (int attempt = 0; attempt < 3 && last.isEmpty(); attempt++) {
        last = sampler.sample(client.now());
      }
      last.ifPresent(samples::add);
      if (sampler.failed() > 0) {
        log.printf(
            "  %d metric scrape(s) failed (the gateway did not answer within 5 s); figures"
                + " interpolate over them%n",
            sampler.failed());
      }
      log.printf(
          "  %d jobs sent, %d ended, %d outstanding at the end%n",
          jobs.size(), jobs.stream().filter(JobRecord::ended).count(), client.outstanding());
      errors(jobs).forEach((error, count) -> log.printf("  %d jobs: %s%n", count, error));
      List<Sample> ordered = new ArrayList<>(samples);
      ordered.sort(java.util.Comparator.comparingLong(Sample::tNanos));
      return new Run(
          scenario,
          variant.name(),
          policy,
          List.copyOf(jobs),
          ordered,
          scenario.warmup().toNanos(),
          arrivalsEnd,
          end,
          nodeLoss[0],
          fleet == null ? 1 : fleet.size());
    }
  }

  /** Distinct errors of failed, refused or broken jobs, most frequent first. */
  static Map<String, Long> errors(List<JobRecord> jobs) {
    Map<String, Long> counts = new java.util.HashMap<>();
    synchronized (jobs) {
      for (JobRecord job : jobs) {
        if (!job.error.isEmpty()) {
          counts.merge(job.outcome + ": " + job.error, 1L, Long::sum);
        }
      }
    }
    Map<String, Long> sorted = new LinkedHashMap<>();
    counts.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    return sorted;
  }

  private static boolean measuredEnded(List<JobRecord> jobs, long warmup, long arrivalsEnd) {
    synchronized (jobs) {
      for (JobRecord job : jobs) {
        if (job.intendedNanos >= warmup && job.intendedNanos < arrivalsEnd && !job.ended()) {
          return false;
        }
      }
    }
    return true;
  }

  /** Sends every arrival at its intended instant (late ones at once, measured from on time). */
  private void openLoop(
      Scenario scenario,
      Scenario.Variant variant,
      LoadClient client,
      List<JobRecord> jobs,
      long duration) {
    List<Arrival> arrivals =
        Arrival.poisson(variant.tenants(), scenario.steps(), scenario.timeScale(), duration, seed);
    long n = 0;
    for (Arrival arrival : arrivals) {
      long wait;
      while ((wait = arrival.atNanos() - client.now()) > 0) {
        LockSupport.parkNanos(wait);
      }
      JobRecord record = new JobRecord(arrival.tenant(), arrival.steps(), arrival.atNanos());
      jobs.add(record);
      client.send(
          record, LoadClient.request(arrival, scenario.previewEvery(), seed + n++), j -> {});
    }
    long rest;
    while ((rest = duration - client.now()) > 0) {
      LockSupport.parkNanos(rest);
    }
  }

  /**
   * Keeps {@code concurrency} jobs outstanding, spread over the tenants in turn; each ended job's
   * successor is intended the moment it ends.
   */
  private void closedLoop(
      Scenario scenario,
      Scenario.Variant variant,
      LoadClient client,
      List<JobRecord> jobs,
      long duration)
      throws InterruptedException {
    List<TenantLoad> tenants = variant.tenants();
    java.util.Random random = new java.util.Random(seed);
    AtomicInteger next = new AtomicInteger();
    java.util.concurrent.LinkedBlockingQueue<Long> due =
        new java.util.concurrent.LinkedBlockingQueue<>();
    for (int i = 0; i < scenario.concurrency(); i++) {
      due.add(0L);
    }
    while (client.now() < duration) {
      Long intended = due.poll(50, TimeUnit.MILLISECONDS);
      if (intended == null) {
        continue;
      }
      int n = next.getAndIncrement();
      String tenant = tenants.get(n % tenants.size()).tenant();
      Arrival arrival;
      synchronized (random) {
        arrival =
            new Arrival(
                intended,
                tenant,
                scenario.steps().draw(random),
                Arrival.PROMPTS.get(random.nextInt(Arrival.PROMPTS.size())));
      }
      JobRecord record = new JobRecord(tenant, arrival.steps(), intended);
      jobs.add(record);
      client.send(
          record,
          LoadClient.request(arrival, scenario.previewEvery(), seed + n),
          ended -> due.add(client.now()));
    }
  }

  static String tenantsYaml(List<TenantLoad> tenants) {
    StringBuilder yaml = new StringBuilder();
    yaml.append("# Written by ./framecast loadtest: quotas out of the way, only weights matter.\n")
        .append("defaults:\n")
        .append("  max_concurrent_jobs: 1000000\n")
        .append("  max_queued_jobs: 1000000\n")
        .append("  requests_per_minute: 1000000\n")
        .append("  burst: 1000000\n")
        .append("  max_open_streams: 1000000\n")
        .append("tenants:\n");
    for (TenantLoad tenant : tenants) {
      yaml.append("  ")
          .append(tenant.tenant())
          .append(": { weight: ")
          .append(tenant.weight())
          .append(" }\n");
    }
    return yaml.toString();
  }

  /** Reads the scheduler's metrics, the fleet's GPUs, the gateway's CPU and the clients' count. */
  static final class Sampler {
    private final HttpClient http = HttpClient.newHttpClient();
    private final HttpRequest request;
    private final Fleet fleet;
    private final ProcessHandle gateway;
    private final LoadClient client;
    private final AtomicInteger failed = new AtomicInteger();

    Sampler(URI metrics, Fleet fleet, ProcessHandle gateway, LoadClient client) {
      this.request = HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(5)).GET().build();
      this.fleet = fleet;
      this.gateway = gateway;
      this.client = client;
    }

    /** Scrapes that failed: no sample is taken then (zeros would read as counters reset). */
    int failed() {
      return failed.get();
    }

    /** A sample at {@code now}; empty when the scheduler's metrics could not be read. */
    Optional<Sample> sample(long now) {
      PromText metrics;
      try {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
          failed.incrementAndGet();
          return Optional.empty();
        }
        metrics = PromText.parse(response.body());
      } catch (IOException e) {
        failed.incrementAndGet();
        return Optional.empty();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
      double cpu = gateway.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
      return Optional.of(
          new Sample(
              now,
              metrics.byLabel("framecast_scheduler_gpu_seconds_total", "tenant"),
              metrics.byLabel("framecast_scheduler_queue_depth", "tenant"),
              metrics.sum("framecast_scheduler_active_jobs"),
              metrics.sum("framecast_scheduler_batch_size_sum"),
              metrics.sum("framecast_scheduler_batch_size_count"),
              metrics.has("framecast_scheduler_loop_cpu_seconds_total")
                  ? metrics.sum("framecast_scheduler_loop_cpu_seconds_total")
                  : Double.NaN,
              fleet == null ? 0 : fleet.busyNanos(),
              fleet == null ? 0 : fleet.up(),
              cpu,
              client == null ? 0 : client.stepsTotal()));
    }
  }
}
