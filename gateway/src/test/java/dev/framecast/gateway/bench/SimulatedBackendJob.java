package dev.framecast.gateway.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import dev.framecast.api.v1.Cancelled;
import dev.framecast.api.v1.ClipChunk;
import dev.framecast.api.v1.ClipInfo;
import dev.framecast.api.v1.Completed;
import dev.framecast.api.v1.Failed;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.api.v1.Progress;
import dev.framecast.api.v1.Queued;
import dev.framecast.api.v1.Started;
import dev.framecast.api.v1.Timings;
import dev.framecast.common.events.EventLog;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * One job of the {@link SimulatedBackend}: its admitted request, its real {@link EventLog}, and the
 * state a timer advances one event at a time. Only the backend's timer thread changes it (and the
 * submitting thread before the job is published); the fields other threads read are volatile.
 */
final class SimulatedBackendJob {
  private static final Logger LOG = Logger.getLogger(SimulatedBackendJob.class);
  static final String NODE = "simulated";
  static final String CLIP_CONTENT_TYPE = "application/octet-stream";
  private static final int MAX_CHUNK = 1 << 20;

  final String id;
  final String tenant;

  /** Admission order: newer jobs have larger values (ListJobs is newest first). */
  final long sequence;

  /** The request as the client sent it (idempotent retries must match it). */
  final GenerateRequest original;

  /** The request as admitted, defaults filled in. */
  final GenerateRequest request;

  final Instant created;
  final EventLog events;

  private volatile JobState state = JobState.QUEUED;
  private volatile int step;
  private volatile Instant started;
  private volatile Instant finished;
  private volatile com.google.rpc.Status error;
  private volatile ScheduledFuture<?> ticks;
  private final Consumer<JobState> ended;

  SimulatedBackendJob(
      String id,
      String tenant,
      long sequence,
      GenerateRequest original,
      GenerateRequest request,
      Instant created,
      long maxEventBytes,
      Consumer<JobState> ended) {
    this.id = id;
    this.tenant = tenant;
    this.sequence = sequence;
    this.original = original;
    this.request = request;
    this.created = created;
    this.ended = ended;
    this.events = new EventLog(id, maxEventBytes);
    // Before the job is published, so no reader can miss or race it.
    events.append(JobEvent.newBuilder().setQueued(Queued.getDefaultInstance()), created);
  }

  JobState state() {
    return state;
  }

  Instant finished() {
    return finished;
  }

  /** Called once, right after the timer task is scheduled. */
  void ticking(ScheduledFuture<?> future) {
    ticks = future;
    if (isTerminal(state)) {
      future.cancel(false);
    }
  }

  /**
   * The next event: started, then one progress per step (a preview every preview_every steps), then
   * the clip's chunks and completed. Timer thread only.
   */
  void tick(Instant now, byte[] preview, byte[] clip) {
    if (isTerminal(state)) {
      return;
    }
    try {
      if (state == JobState.QUEUED) {
        started = now;
        moveTo(JobState.RUNNING);
        events.append(
            JobEvent.newBuilder().setStarted(Started.newBuilder().setNode(NODE).build()), now);
      } else if (step < request.getSteps()) {
        int next = step + 1;
        Progress.Builder progress =
            Progress.newBuilder().setStep(next).setTotalSteps(request.getSteps());
        int every = request.getPreviewEvery();
        if (every > 0 && next % every == 0) {
          progress.setPreviewPng(ByteString.copyFrom(preview));
        }
        events.append(JobEvent.newBuilder().setProgress(progress), now);
        step = next;
      } else {
        for (int offset = 0; offset < clip.length; offset += MAX_CHUNK) {
          int end = Math.min(clip.length, offset + MAX_CHUNK);
          events.append(
              JobEvent.newBuilder()
                  .setClipChunk(
                      ClipChunk.newBuilder()
                          .setOffset(offset)
                          .setData(ByteString.copyFrom(clip, offset, end - offset))
                          .setLast(end == clip.length)
                          .setContentType(CLIP_CONTENT_TYPE)),
              now);
        }
        finish(JobState.SUCCEEDED, now, JobEvent.newBuilder().setCompleted(completed(now, clip)));
      }
    } catch (EventLog.EventLogFullException e) {
      error =
          com.google.rpc.Status.newBuilder()
              .setCode(Status.Code.RESOURCE_EXHAUSTED.value())
              .setMessage(e.getMessage())
              .build();
      finish(
          JobState.FAILED,
          now,
          JobEvent.newBuilder().setFailed(Failed.newBuilder().setStatus(error)));
    }
  }

  /** Ends a job that has not ended; an ended one is left as it is. Timer thread only. */
  void cancel(String reason, Instant now) {
    if (isTerminal(state)) {
      return;
    }
    finish(
        JobState.CANCELLED,
        now,
        JobEvent.newBuilder().setCancelled(Cancelled.newBuilder().setReason(reason)));
  }

  private void finish(JobState to, Instant now, JobEvent.Builder terminal) {
    finished = now;
    moveTo(to);
    // Before the terminal event, so that whoever sees the event also sees the count.
    ended.accept(to);
    events.append(terminal, now);
    ScheduledFuture<?> future = ticks;
    if (future != null) {
      future.cancel(false);
    }
  }

  private void moveTo(JobState to) {
    JobState from = state;
    boolean allowed =
        switch (to) {
          case RUNNING -> from == JobState.QUEUED;
          case SUCCEEDED, FAILED -> from == JobState.RUNNING;
          case CANCELLED -> from == JobState.QUEUED || from == JobState.RUNNING;
          default -> false;
        };
    if (!allowed) {
      throw new IllegalStateException("job " + id + ": " + from + " -> " + to + " is not allowed");
    }
    state = to;
    LOG.debugf("job %s: %s -> %s", id, from, to);
  }

  private Completed completed(Instant now, byte[] clip) {
    return Completed.newBuilder()
        .setSeed(request.getSeed())
        .setGpuSeconds(0)
        .setTimings(
            Timings.newBuilder()
                .setQueued(duration(created, started))
                .setDenoising(duration(started, now))
                .setTotal(duration(created, now)))
        .setClipSizeBytes(clip.length)
        .setClip(clipInfo(clip.length))
        .build();
  }

  private ClipInfo clipInfo(int size) {
    return ClipInfo.newBuilder()
        .setContentType(CLIP_CONTENT_TYPE)
        .setSizeBytes(size)
        .setFrameCount(SimulatedBackend.FRAMES)
        .setWidth(SimulatedBackend.WIDTH)
        .setHeight(SimulatedBackend.HEIGHT)
        .setFps(SimulatedBackend.FPS)
        .build();
  }

  Job toProto(int clipBytes) {
    JobState now = state;
    Job.Builder job =
        Job.newBuilder()
            .setId(id)
            .setTenant(tenant)
            .setState(now)
            .setRequest(request)
            .setCreatedTime(timestamp(created))
            .setStep(step)
            .setTotalSteps(request.getSteps())
            .setSeed(request.getSeed())
            .setLastSeq(events.lastSeq());
    Instant start = started;
    if (start != null) {
      job.setStartedTime(timestamp(start));
    }
    Instant end = finished;
    if (end != null) {
      job.setFinishedTime(timestamp(end));
    }
    com.google.rpc.Status failure = error;
    if (now == JobState.FAILED && failure != null) {
      job.setError(failure);
    }
    if (now == JobState.SUCCEEDED) {
      job.setClip(clipInfo(clipBytes));
    }
    return job.build();
  }

  static boolean isTerminal(JobState state) {
    return state == JobState.SUCCEEDED || state == JobState.FAILED || state == JobState.CANCELLED;
  }

  private static Timestamp timestamp(Instant time) {
    return Timestamp.newBuilder()
        .setSeconds(time.getEpochSecond())
        .setNanos(time.getNano())
        .build();
  }

  private static com.google.protobuf.Duration duration(Instant from, Instant to) {
    Duration d = Duration.between(from, to);
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(d.getSeconds())
        .setNanos(d.getNano())
        .build();
  }
}
