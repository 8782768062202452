package dev.framecast.scheduler.engine;

import com.google.protobuf.ByteString;
import dev.framecast.api.v1.Cancelled;
import dev.framecast.api.v1.ClipChunk;
import dev.framecast.api.v1.ClipInfo;
import dev.framecast.api.v1.Completed;
import dev.framecast.api.v1.Failed;
import dev.framecast.api.v1.Frame;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.Timings;
import dev.framecast.common.events.EventLog;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.pipeline.Pipeline;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;

/**
 * How jobs end: succeeded (its rendered clip published), failed, or cancelled. Each ends the job
 * through {@link JobLines#end} (which frees whatever it held), appends its last event and counts
 * it. Loop thread only.
 */
final class Endings {
  private final JobLines lines;
  private final Events events;
  private final UsageSink usage;
  private final int clipChunkBytes;
  private final Checkpoints checkpoints;

  Endings(
      JobLines lines, Events events, UsageSink usage, int clipChunkBytes, Checkpoints checkpoints) {
    this.lines = lines;
    this.events = events;
    this.usage = usage;
    this.clipChunkBytes = clipChunkBytes;
    this.checkpoints = checkpoints;
  }

  /** A job's clip was rendered and stored (or failed to): it succeeds, or fails saying why. */
  void rendered(Command.Rendered rendered) {
    Job job = rendered.job();
    if (job.phase().isTerminal()) {
      return; // ended meanwhile (deadline); its slot was released then
    }
    if (job.cancelRequested()) {
      cancelled(job);
      return;
    }
    if (rendered.error() != null) {
      fail(job, Status.INTERNAL.withDescription("rendering the clip failed: " + rendered.error()));
      return;
    }
    try {
      publish(job, rendered.output());
    } catch (EventLog.EventLogFullException e) {
      fail(
          job,
          Status.RESOURCE_EXHAUSTED.withDescription(
              e.getMessage()
                  + ": the frames and clip do not fit the job's event stream; request without"
                  + " include_frames, or raise the scheduler's maxEventBytes"));
    }
  }

  /** Frame events, clip chunks and the completed event of a rendered job. */
  private void publish(Job job, ClipRenderer.Rendered out) {
    Pipeline p = job.pipeline();
    for (int i = 0; i < out.framePngs().size(); i++) {
      events.append(
          job,
          JobEvent.newBuilder()
              .setFrame(
                  Frame.newBuilder()
                      .setIndex(i)
                      .setPng(ByteString.copyFrom(out.framePngs().get(i)))
                      .setWidth(p.frameWidth())
                      .setHeight(p.frameHeight())));
    }
    byte[] clip = out.clip();
    for (int offset = 0; offset < clip.length; offset += clipChunkBytes) {
      int length = Math.min(clipChunkBytes, clip.length - offset);
      events.append(
          job,
          JobEvent.newBuilder()
              .setClipChunk(
                  ClipChunk.newBuilder()
                      .setOffset(offset)
                      .setData(ByteString.copyFrom(clip, offset, length))
                      .setLast(offset + length == clip.length)
                      .setContentType(out.contentType())));
    }
    Instant now = events.now();
    ClipInfo info =
        ClipInfo.newBuilder()
            .setContentType(out.contentType())
            .setSizeBytes(clip.length)
            .setFrameCount(p.frameCount())
            .setWidth(p.frameWidth())
            .setHeight(p.frameHeight())
            .setFps(p.fps())
            .build();
    job.setClip(info);
    lines.end(job, JobPhase.SUCCEEDED, now);
    events.append(
        job,
        JobEvent.newBuilder()
            .setCompleted(
                Completed.newBuilder()
                    .setSeed(job.seed())
                    .setGpuSeconds(job.gpuSeconds())
                    .setClipSizeBytes(clip.length)
                    .setClip(info)
                    .setTimings(timings(job, now))));
    counted(job, JobPhase.SUCCEEDED);
  }

  /** Ends a job as failed (from any phase with nothing in flight). */
  void fail(Job job, Status status) {
    fail(
        job,
        com.google.rpc.Status.newBuilder()
            .setCode(status.getCode().value())
            .setMessage(
                status.getDescription() == null ? status.getCode().name() : status.getDescription())
            .build());
  }

  /** Ends a job as failed with a status that may carry details (a quota's QuotaFailure). */
  void fail(Job job, com.google.rpc.Status error) {
    if (job.phase().isTerminal()) {
      return;
    }
    job.setError(error);
    lines.end(job, JobPhase.FAILED, events.now());
    events.append(job, JobEvent.newBuilder().setFailed(Failed.newBuilder().setStatus(error)));
    counted(job, JobPhase.FAILED);
  }

  /** Ends a job as cancelled; its slot is free at this step boundary. */
  void cancelled(Job job) {
    if (job.phase().isTerminal()) {
      return;
    }
    lines.end(job, JobPhase.CANCELLED, events.now());
    events.append(
        job,
        JobEvent.newBuilder().setCancelled(Cancelled.newBuilder().setReason(job.cancelReason())));
    counted(job, JobPhase.CANCELLED);
  }

  /**
   * A cancel request: at once when the job holds nothing in flight, else at its next boundary (the
   * result that comes back finds the request and ends it).
   */
  void cancel(Job job, String reason) {
    if (job.phase().isTerminal()) {
      return;
    }
    job.requestCancel(reason);
    boolean busy =
        lines.inFlight(job)
            || job.phase() == JobPhase.ENCODING_TEXT
            || job.phase() == JobPhase.ENCODING_VIDEO;
    if (!busy) {
      cancelled(job);
    }
  }

  private void counted(Job job, JobPhase terminal) {
    checkpoints.ended(job);
    usage.finished(job.tenant(), terminal);
    usage.jobEnded(terminal, Duration.between(job.created(), job.finished()).toNanos() / 1e9);
    usage.ended(job);
  }

  private static Timings timings(Job job, Instant end) {
    Job.Timings t = job.timings();
    Instant encoding = t.encodingStarted() != null ? t.encodingStarted() : job.created();
    Instant denoising = t.denoisingStarted() != null ? t.denoisingStarted() : encoding;
    Instant decoding = t.decodingStarted() != null ? t.decodingStarted() : end;
    Instant video = t.videoStarted() != null ? t.videoStarted() : end;
    return Timings.newBuilder()
        .setQueued(duration(job.created(), encoding))
        .setTextEncoding(duration(encoding, denoising))
        .setDenoising(duration(denoising, decoding))
        .setDecoding(duration(decoding, video))
        .setVideoEncoding(duration(video, end))
        .setTotal(duration(job.created(), end))
        .build();
  }

  private static com.google.protobuf.Duration duration(Instant from, Instant to) {
    Duration d = Duration.between(from, to);
    if (d.isNegative()) {
      d = Duration.ZERO;
    }
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(d.getSeconds())
        .setNanos(d.getNano())
        .build();
  }
}
