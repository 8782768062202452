package dev.framecast.scheduler.job;

import com.google.protobuf.Timestamp;
import dev.framecast.api.v1.ClipInfo;
import dev.framecast.api.v1.JobState;
import java.time.Instant;

/**
 * What is known of a job at one moment, as a value: what the public view is made of and what the
 * job store keeps. A live {@link Job} makes one on demand; a finished job read back from the store
 * is one.
 *
 * @param started null until the job first started
 * @param finished null until it ended
 * @param lastSeq the last event a reader can see
 * @param error why it failed, or null
 * @param clip its clip, once it succeeded; or null
 */
public record JobRecord(
    String id,
    String tenant,
    JobSpec spec,
    JobPhase phase,
    Instant created,
    Instant started,
    Instant finished,
    int step,
    double gpuSeconds,
    long lastSeq,
    com.google.rpc.Status error,
    ClipInfo clip) {

  /** The public view; {@code queuePosition} shows only while it is queued. */
  public dev.framecast.api.v1.Job toProto(int queuePosition) {
    JobState state = phase.publicState();
    dev.framecast.api.v1.Job.Builder job =
        dev.framecast.api.v1.Job.newBuilder()
            .setId(id)
            .setTenant(tenant)
            .setState(state)
            .setRequest(spec.toRequest())
            .setCreatedTime(timestamp(created))
            .setStep(step)
            .setTotalSteps(spec.steps())
            .setGpuSeconds(gpuSeconds)
            .setSeed(spec.seed())
            .setLastSeq(lastSeq)
            .setQueuePosition(state == JobState.QUEUED ? queuePosition : 0);
    if (started != null) {
      job.setStartedTime(timestamp(started));
    }
    if (finished != null) {
      job.setFinishedTime(timestamp(finished));
    }
    if (error != null) {
      job.setError(error);
    }
    if (clip != null) {
      job.setClip(clip);
    }
    return job.build();
  }

  public static Timestamp timestamp(Instant instant) {
    return Timestamp.newBuilder()
        .setSeconds(instant.getEpochSecond())
        .setNanos(instant.getNano())
        .build();
  }
}
