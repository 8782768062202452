package dev.framecast.loadtest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;
import org.HdrHistogram.Histogram;

/**
 * The figures of one run, from its jobs and samples. Latencies of jobs are kept in HdrHistograms;
 * throughputs and completion times are converted to profile time (the simulated fleet runs {@code
 * timeScale} times slower than the profile); time to first event and to first preview are control
 * plane and are reported as measured (wall time), not scaled.
 */
final class Stats {
  /** Latency percentiles in milliseconds; {@code censored} jobs had not ended (lower bounds). */
  record Latency(
      long count, long censored, double mean, double p50, double p90, double p99, double max) {
    static final Latency NONE =
        new Latency(0, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);
  }

  /** One tenant's figures. */
  record Tenant(
      String tenant,
      long sent,
      long succeeded,
      long failed,
      long rejected,
      long incomplete,
      double gpuShare,
      Latency completion,
      Latency firstEvent,
      Latency firstPreview) {}

  final Run run;
  final double scale;
  final double windowSeconds;

  /** DiT job-steps per second, profile time. */
  final double jobStepsPerSecond;

  /** Jobs completed per second, profile time. */
  final double jobsPerSecond;

  final double meanBatch;

  /** Fraction of the window the fleet's GPUs were busy. */
  final double busy;

  /** The same, over the intervals when jobs were waiting in the queue. */
  final double busyWhileQueued;

  /** CPU seconds of the scheduler loop thread per job-step (NaN when not exported). */
  final double loopCpuPerJobStep;

  /** CPU seconds of the whole gateway process (scheduler included) per job-step. */
  final double gatewayCpuPerJobStep;

  final double gatewayCpuSeconds;
  final Map<String, Tenant> tenants = new LinkedHashMap<>();
  final Latency completion;
  final Latency firstEvent;
  final Latency firstPreview;
  final long failed;
  final long succeeded;

  Stats(Run run) {
    this(run, run.warmupNanos(), run.arrivalsEndNanos());
  }

  /** Figures over the window [from, to) of the run's wall time. */
  Stats(Run run, long from, long to) {
    this.run = run;
    this.scale = run.scenario().timeScale();
    this.windowSeconds = (to - from) / 1e9;
    Sample a = at(run.samples(), from);
    Sample b = at(run.samples(), to);
    double dt = (b.tNanos() - a.tNanos()) / 1e9;
    double steps = b.batchSum() - a.batchSum();
    this.jobStepsPerSecond = dt > 0 ? steps / dt * scale : Double.NaN;
    double batches = b.batchCount() - a.batchCount();
    this.meanBatch = batches > 0 ? steps / batches : Double.NaN;
    this.busy = busyFraction(run.samples(), from, to, false);
    this.busyWhileQueued = busyFraction(run.samples(), from, to, true);
    this.loopCpuPerJobStep =
        steps > 0 ? (b.loopCpuSeconds() - a.loopCpuSeconds()) / steps : Double.NaN;
    this.gatewayCpuSeconds = b.gatewayCpuSeconds() - a.gatewayCpuSeconds();
    this.gatewayCpuPerJobStep = steps > 0 ? gatewayCpuSeconds / steps : Double.NaN;
    long ended =
        run.jobs().stream()
            .filter(j -> j.outcome == JobRecord.Outcome.SUCCEEDED)
            .filter(j -> j.endNanos >= from && j.endNanos < to)
            .count();
    this.jobsPerSecond = windowSeconds > 0 ? ended / windowSeconds * scale : Double.NaN;

    List<JobRecord> measured =
        run.jobs().stream().filter(j -> j.intendedNanos >= from && j.intendedNanos < to).toList();
    Map<String, Double> gpu = new LinkedHashMap<>();
    double gpuTotal = 0;
    for (String tenant : tenantsOf(run)) {
      double used =
          b.gpuSeconds().getOrDefault(tenant, 0.0) - a.gpuSeconds().getOrDefault(tenant, 0.0);
      gpu.put(tenant, used);
      gpuTotal += used;
    }
    for (String tenant : tenantsOf(run)) {
      List<JobRecord> mine = measured.stream().filter(j -> j.tenant.equals(tenant)).toList();
      tenants.put(
          tenant,
          new Tenant(
              tenant,
              mine.size(),
              count(mine, JobRecord.Outcome.SUCCEEDED),
              count(mine, JobRecord.Outcome.FAILED) + count(mine, JobRecord.Outcome.ERROR),
              count(mine, JobRecord.Outcome.REJECTED),
              count(mine, JobRecord.Outcome.INCOMPLETE),
              gpuTotal > 0 ? gpu.get(tenant) / gpuTotal : Double.NaN,
              completion(mine),
              wall(mine, JobRecord::firstEventLatencyNanos),
              wall(mine, JobRecord::firstPreviewLatencyNanos)));
    }
    this.completion = completion(measured);
    this.firstEvent = wall(measured, JobRecord::firstEventLatencyNanos);
    this.firstPreview = wall(measured, JobRecord::firstPreviewLatencyNanos);
    this.failed =
        run.jobs().stream()
            .filter(
                j -> j.outcome == JobRecord.Outcome.FAILED || j.outcome == JobRecord.Outcome.ERROR)
            .count();
    this.succeeded = count(measured, JobRecord.Outcome.SUCCEEDED);
  }

  static List<String> tenantsOf(Run run) {
    List<String> names = new ArrayList<>();
    for (TenantLoad tenant :
        run.scenario().variants().stream()
            .filter(v -> v.name().equals(run.variant()))
            .findFirst()
            .orElseThrow()
            .tenants()) {
      names.add(tenant.tenant());
    }
    return names;
  }

  private static long count(List<JobRecord> jobs, JobRecord.Outcome outcome) {
    return jobs.stream().filter(j -> j.outcome == outcome).count();
  }

  /**
   * Completion times in profile milliseconds. A job still running at the end counts with the time
   * it had waited so far (a lower bound), so a policy that never finishes jobs cannot look fast.
   */
  private Latency completion(List<JobRecord> jobs) {
    long end = run.endNanos();
    return latency(
        jobs.stream().filter(j -> j.outcome != JobRecord.Outcome.REJECTED).toList(),
        j -> j.ended() ? j.completionNanos() : end - j.intendedNanos,
        j -> !j.ended(),
        1 / scale);
  }

  /** Wall-time latencies of jobs that saw the moment ({@code -1}: did not). */
  private static Latency wall(List<JobRecord> jobs, ToLongFunction<JobRecord> nanos) {
    return latency(
        jobs.stream().filter(j -> nanos.applyAsLong(j) >= 0).toList(), nanos, j -> false, 1);
  }

  private static Latency latency(
      List<JobRecord> jobs,
      ToLongFunction<JobRecord> nanos,
      java.util.function.Predicate<JobRecord> censored,
      double factor) {
    if (jobs.isEmpty()) {
      return Latency.NONE;
    }
    Histogram histogram = new Histogram(3_600_000_000L, 3);
    long censoredCount = 0;
    for (JobRecord job : jobs) {
      long micros = Math.max(1, Math.min(3_600_000_000L, nanos.applyAsLong(job) / 1000));
      histogram.recordValue(micros);
      censoredCount += censored.test(job) ? 1 : 0;
    }
    ToDoubleFunction<Double> ms = micros -> micros * factor / 1000;
    return new Latency(
        histogram.getTotalCount(),
        censoredCount,
        ms.applyAsDouble(histogram.getMean()),
        ms.applyAsDouble((double) histogram.getValueAtPercentile(50)),
        ms.applyAsDouble((double) histogram.getValueAtPercentile(90)),
        ms.applyAsDouble((double) histogram.getValueAtPercentile(99)),
        ms.applyAsDouble((double) histogram.getMaxValue()));
  }

  /** Completion times (profile seconds) of one tenant's measured jobs, sorted, for a CDF. */
  static double[] completionSeconds(Run run, String tenant) {
    long end = run.endNanos();
    return run.measured().stream()
        .filter(j -> tenant == null || j.tenant.equals(tenant))
        .filter(j -> j.outcome != JobRecord.Outcome.REJECTED)
        .mapToDouble(
            j ->
                (j.ended() ? j.completionNanos() : end - j.intendedNanos)
                    / 1e9
                    / run.scenario().timeScale())
        .sorted()
        .toArray();
  }

  /** The sample at time t, interpolated linearly between the two around it. */
  static Sample at(List<Sample> samples, long t) {
    if (samples.isEmpty()) {
      throw new IllegalStateException("no samples were taken");
    }
    Sample before = samples.get(0);
    if (t <= before.tNanos()) {
      return before;
    }
    for (Sample after : samples) {
      if (after.tNanos() >= t) {
        double f = (double) (t - before.tNanos()) / Math.max(1, after.tNanos() - before.tNanos());
        return interpolate(before, after, f, t);
      }
      before = after;
    }
    return before;
  }

  private static Sample interpolate(Sample a, Sample b, double f, long t) {
    Map<String, Double> gpu = new LinkedHashMap<>();
    for (String tenant : b.gpuSeconds().keySet()) {
      double x = a.gpuSeconds().getOrDefault(tenant, 0.0);
      gpu.put(tenant, x + f * (b.gpuSeconds().get(tenant) - x));
    }
    return new Sample(
        t,
        gpu,
        a.queued(),
        a.active(),
        a.batchSum() + f * (b.batchSum() - a.batchSum()),
        a.batchCount() + f * (b.batchCount() - a.batchCount()),
        a.loopCpuSeconds() + f * (b.loopCpuSeconds() - a.loopCpuSeconds()),
        a.fleetBusyNanos() + (long) (f * (b.fleetBusyNanos() - a.fleetBusyNanos())),
        a.nodesUp(),
        a.gatewayCpuSeconds() + f * (b.gatewayCpuSeconds() - a.gatewayCpuSeconds()),
        a.clientSteps() + (long) (f * (b.clientSteps() - a.clientSteps())));
  }

  /**
   * Busy GPU time over available GPU time between consecutive samples inside the window; with
   * {@code whileQueued}, only over intervals whose both ends saw jobs waiting.
   */
  static double busyFraction(List<Sample> samples, long from, long to, boolean whileQueued) {
    double busy = 0;
    double available = 0;
    for (int i = 1; i < samples.size(); i++) {
      Sample a = samples.get(i - 1);
      Sample b = samples.get(i);
      if (a.tNanos() < from || b.tNanos() > to || a.nodesUp() == 0) {
        continue;
      }
      if (whileQueued && (a.queuedTotal() <= 0 || b.queuedTotal() <= 0)) {
        continue;
      }
      busy += b.fleetBusyNanos() - a.fleetBusyNanos();
      available += (double) (b.tNanos() - a.tNanos()) * Math.min(a.nodesUp(), b.nodesUp());
    }
    return available > 0 ? Math.min(1, busy / available) : Double.NaN;
  }
}
