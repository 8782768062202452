package dev.framecast.scheduler.store;

import dev.framecast.scheduler.admission.UsageLedger;
import dev.framecast.scheduler.engine.Engine;
import dev.framecast.scheduler.job.JobRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * What a scheduler does on start with a job store: takes back each tenant's usage (so a restart
 * does not reset quotas) and every job that had not ended, in the order they were admitted (the
 * fair queue orders them from there). A job that was running starts again from its first step; its
 * seed makes the clip the same, and what the lost run was charged is given back, so the rerun is
 * charged once.
 */
public final class Recovery {
  private static final Logger LOG = Logger.getLogger(Recovery.class.getName());

  /** How many jobs were taken back, and how long it took. */
  public record Result(int jobs, Duration took) {}

  private Recovery() {}

  public static Result run(JobStore store, Engine engine, UsageLedger ledger, Clock clock)
      throws InterruptedException {
    long start = System.nanoTime();
    LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    Map<String, JobStore.DayUsage> todays = store.usage(today);
    for (Map.Entry<String, JobStore.DayUsage> total : store.totals().entrySet()) {
      JobStore.DayUsage day =
          todays.getOrDefault(total.getKey(), new JobStore.DayUsage(0, 0, 0, 0));
      JobStore.DayUsage all = total.getValue();
      ledger.restore(
          total.getKey(),
          today,
          day.gpuSeconds(),
          all.succeeded(),
          all.failed(),
          all.cancelled(),
          all.gpuSeconds());
    }
    List<JobRecord> unfinished = store.unfinished();
    int resumed = 0;
    for (JobRecord job : unfinished) {
      if (!engine.pipelines().containsKey(job.spec().pipeline())) {
        // Kept as it is: it runs again once a scheduler serves its pipeline again.
        LOG.warning(
            "job "
                + job.id()
                + " runs pipeline '"
                + job.spec().pipeline()
                + "', which this scheduler does not serve: left in the store, not resumed");
        continue;
      }
      resumed++;
      engine.resume(
          job.id(),
          job.tenant(),
          job.spec(),
          job.created(),
          store.events(job.id()),
          job.gpuSeconds());
      if (job.gpuSeconds() > 0) {
        ledger.refund(job.tenant(), job.gpuSeconds());
      }
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    LOG.info(
        "job store: took back "
            + resumed
            + " unfinished jobs and the usage of "
            + todays.size()
            + " tenants today in "
            + took.toMillis()
            + " ms");
    return new Result(resumed, took);
  }
}
