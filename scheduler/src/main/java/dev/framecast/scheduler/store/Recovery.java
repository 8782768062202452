package dev.framecast.scheduler.store;

import dev.framecast.scheduler.admission.UsageLedger;
import dev.framecast.scheduler.engine.ClipStore;
import dev.framecast.scheduler.engine.Engine;
import dev.framecast.scheduler.job.JobRecord;
import dev.framecast.scheduler.job.LatentCheckpoint;
import dev.framecast.scheduler.pipeline.Pipeline;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * What a scheduler does on start with a job store: takes back each tenant's usage (so a restart
 * does not reset quotas) and every job that had not ended, in the order they were admitted (the
 * fair queue orders them from there). A job that was running goes on from its latest latent
 * checkpoint (kept with the clips every few steps, and at a clean stop) when the pipeline as now
 * configured made it (the same models, schedule, sampler and shapes: its step fingerprint), or else
 * from its first step; either way its clip is the one an undisturbed run makes (a step is a pure
 * function of its inputs, the first noise one of the seed), and what the lost steps were charged is
 * given back, so every step is charged once.
 */
public final class Recovery {
  private static final Logger LOG = Logger.getLogger(Recovery.class.getName());

  /** How many jobs were taken back, and how long it took. */
  public record Result(int jobs, Duration took) {}

  private Recovery() {}

  /**
   * The job's latest latent checkpoint if it has one that fits its pipeline and steps, else null
   * (it runs from its first step: a missing or damaged checkpoint costs time, never the job).
   */
  private static LatentCheckpoint checkpoint(ClipStore clips, Engine engine, JobRecord job) {
    Optional<LatentCheckpoint> found;
    try {
      found = clips.checkpoint(job.tenant(), job.id());
    } catch (IOException | RuntimeException e) {
      LOG.warning("job " + job.id() + ": its checkpoint cannot be read (" + e + "); from step 0");
      return null;
    }
    if (found.isEmpty()) {
      return null;
    }
    LatentCheckpoint checkpoint = found.get();
    Pipeline pipeline = engine.pipelines().get(job.spec().pipeline());
    if (!checkpoint.madeBy(pipeline.stepFingerprint())) {
      LOG.warning(
          "job "
              + job.id()
              + ": its checkpoint (step "
              + checkpoint.step()
              + ") was made by another configuration of pipeline '"
              + pipeline.name()
              + "' (its models, schedule, sampler or shapes have changed since); from step 0");
      return null;
    }
    int latentSize = pipeline.latentSize();
    if (!checkpoint.fits(job.spec().steps(), latentSize)) {
      LOG.warning(
          "job "
              + job.id()
              + ": its checkpoint (step "
              + checkpoint.step()
              + ", "
              + checkpoint.latentBytes()
              + " bytes) does not fit the job; from step 0");
      return null;
    }
    return checkpoint;
  }

  public static Result run(
      JobStore store, ClipStore clips, Engine engine, UsageLedger ledger, Clock clock)
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
    int fromCheckpoint = 0;
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
      LatentCheckpoint checkpoint = checkpoint(clips, engine, job);
      double kept = checkpoint == null ? 0 : Math.min(checkpoint.gpuSeconds(), job.gpuSeconds());
      if (checkpoint != null) {
        fromCheckpoint++;
      }
      engine.resume(
          job.id(),
          job.tenant(),
          job.spec(),
          job.created(),
          store.events(job.id()),
          job.gpuSeconds(),
          checkpoint);
      if (job.gpuSeconds() - kept > 0) {
        ledger.refund(job.tenant(), job.gpuSeconds() - kept);
      }
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    LOG.info(
        "job store: took back "
            + resumed
            + " unfinished jobs ("
            + fromCheckpoint
            + " from a latent checkpoint) and the usage of "
            + todays.size()
            + " tenants today in "
            + took.toMillis()
            + " ms");
    return new Result(resumed, took);
  }
}
