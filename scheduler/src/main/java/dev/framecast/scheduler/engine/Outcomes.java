package dev.framecast.scheduler.engine;

import com.google.protobuf.ByteString;
import dev.framecast.api.v1.Cancelled;
import dev.framecast.api.v1.ClipChunk;
import dev.framecast.api.v1.ClipInfo;
import dev.framecast.api.v1.Completed;
import dev.framecast.api.v1.Failed;
import dev.framecast.api.v1.Frame;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.Progress;
import dev.framecast.api.v1.Timings;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.pipeline.ModelContract;
import dev.framecast.scheduler.pipeline.Pipeline;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * {@code apply}: turns finished node requests into advanced jobs, events and accounting, and ends
 * jobs (succeeded, failed, cancelled). Loop thread only; rendering and storage go to the worker
 * pool and come back as commands.
 */
final class Outcomes {
  private static final Logger LOG = Logger.getLogger(Outcomes.class.getName());

  private final EngineState state;
  private final Planner planner;
  private final EngineConfig config;
  private final Events events;
  private final UsageSink usage;
  private final ClipRenderer renderer;
  private final ClipStore store;
  private final Executor workers;
  private final Consumer<Command> inbox;

  /** Each pipeline's contract, made once (loop thread). */
  private final Map<Pipeline, ModelContract> contracts = new IdentityHashMap<>();

  /** DiT job-steps applied; written by the loop thread only, read by any. */
  private volatile long jobSteps;

  Outcomes(
      EngineState state,
      Planner planner,
      EngineConfig config,
      Events events,
      UsageSink usage,
      ClipRenderer renderer,
      ClipStore store,
      Executor workers,
      Consumer<Command> inbox) {
    this.state = state;
    this.planner = planner;
    this.config = config;
    this.events = events;
    this.usage = usage;
    this.renderer = renderer;
    this.store = store;
    this.workers = workers;
    this.inbox = inbox;
  }

  void apply(Command.Done done) {
    Plan.Batch batch = done.batch();
    Node node = batch.node();
    node.addInFlight(-1);
    Throwable error = done.error();
    Map<String, ByteString> outputs = Map.of();
    if (error == null) {
      try {
        outputs = Outputs.read(batch.request().getModelName(), done.response(), expected(batch));
      } catch (Outputs.MalformedResponseException e) {
        error = e;
      }
    }
    usage.request(
        node.name(),
        batch.request().getModelName(),
        batch.getClass().getSimpleName().toLowerCase(),
        batch.jobs().size(),
        done.latencyNanos() / 1e9,
        error == null);
    if (error instanceof Outputs.MalformedResponseException malformed) {
      // The node answered with something other than the contract: its models changed since it
      // was checked, or it never honoured them. Count it against the node and check it again.
      node.breaker().onFailure();
      node.recheck();
      LOG.warning(kind(batch) + " on node " + node + " failed: " + malformed.getMessage());
    } else if (error != null) {
      Status status = Status.fromThrowable(error);
      if (isNodeFailure(status)) {
        node.breaker().onFailure();
      } else {
        node.breaker().onSuccess(); // the node answered; the request was at fault
      }
      LOG.warning(kind(batch) + " on node " + node + " failed: " + status);
    } else {
      node.breaker().onSuccess();
    }
    if (batch instanceof Plan.Encode encode) {
      encoded(encode, outputs, error);
    } else if (batch instanceof Plan.Step step) {
      stepped(step, outputs, error, done.latencyNanos(), done.endNanos());
    } else if (batch instanceof Plan.Decode decode) {
      decoded(decode, outputs, error);
    } else if (batch instanceof Plan.Preview preview) {
      previewed(preview, outputs, error);
    }
  }

  private List<Outputs.Expected> expected(Plan.Batch batch) {
    return expected(batch, contracts.computeIfAbsent(pipeline(batch), ModelContract::of));
  }

  static Pipeline pipeline(Plan.Batch batch) {
    return batch instanceof Plan.Encode encode ? encode.pipeline() : batch.jobs().get(0).pipeline();
  }

  /** The outputs a batch's request asked for, with the datatype and shape each must have. */
  static List<Outputs.Expected> expected(Plan.Batch batch, ModelContract contract) {
    if (batch instanceof Plan.Encode encode) {
      ModelContract.Model model = contract.textEncoder();
      int rows = encode.prompts().size();
      return List.of(
          Outputs.Expected.of(model.output(ModelContract.TEXT_EMBEDDINGS), rows, 0),
          Outputs.Expected.of(model.output(ModelContract.ATTENTION_MASK), rows, 0));
    }
    int rows = batch.jobs().size();
    if (batch instanceof Plan.Preview preview) {
      return List.of(
          Outputs.Expected.of(contract.vae().output(ModelContract.FRAMES), 1, preview.frames()));
    }
    if (batch instanceof Plan.Decode) {
      return List.of(
          Outputs.Expected.of(
              contract.vae().output(ModelContract.FRAMES),
              rows,
              batch.jobs().get(0).pipeline().frameCount()));
    }
    List<Outputs.Expected> expected = new ArrayList<>();
    for (var requested : batch.request().getOutputsList()) {
      expected.add(Outputs.Expected.of(contract.dit().output(requested.getName()), rows, 0));
    }
    return expected;
  }

  private static String kind(Plan.Batch batch) {
    return batch.getClass().getSimpleName().toLowerCase()
        + " of "
        + batch.jobs().size()
        + " job(s)";
  }

  /** Failures a retry on another node can fix: the node, not the request, is at fault. */
  private static boolean isNodeFailure(Status status) {
    return switch (status.getCode()) {
      case UNAVAILABLE,
          DEADLINE_EXCEEDED,
          RESOURCE_EXHAUSTED,
          CANCELLED,
          UNKNOWN,
          INTERNAL,
          ABORTED ->
          true;
      default -> false;
    };
  }

  private void encoded(Plan.Encode batch, Map<String, ByteString> outputs, Throwable error) {
    Pipeline p = batch.pipeline();
    List<Job> waiting = new ArrayList<>();
    for (int i = 0; i < batch.prompts().size(); i++) {
      String key = Planner.key(p, batch.prompts().get(i));
      List<Job> jobs = state.encoding.remove(key);
      if (jobs != null) {
        jobs.stream().filter(j -> !waiting.contains(j)).forEach(waiting::add);
      }
      if (error == null) {
        int n = batch.prompts().size();
        state.textCache.put(
            key,
            new Job.TextEmbedding(
                Tensors.slice(outputs.get(ModelContract.TEXT_EMBEDDINGS), i, n),
                Tensors.slice(outputs.get(ModelContract.ATTENTION_MASK), i, n)));
      }
    }
    for (Job job : waiting) {
      if (job.phase() != JobPhase.ENCODING_TEXT) {
        continue;
      }
      if (job.cancelRequested()) {
        cancelled(job);
        continue;
      }
      if (error != null) {
        retryOrFail(
            job,
            error,
            () -> {
              job.transition(JobPhase.QUEUED);
              state.toEncode.addFirst(job);
            });
        continue;
      }
      Job.TextEmbedding text = state.textCache.get(Planner.key(p, job.request().getPrompt()));
      Job.TextEmbedding negative =
          state.textCache.get(Planner.key(p, job.request().getNegativePrompt()));
      if (text != null && negative != null) {
        job.setText(text, negative);
        job.transition(JobPhase.READY);
        state.ready.add(job, false);
      }
    }
  }

  /**
   * The GPU time to charge a DiT batch: its round trip, less the part of it the node spent on the
   * batch before (a node runs its batches one after another, so with two micro-batches in flight
   * the second one's round trip includes the first one's compute). Charging round trips would bill
   * that time twice, to whichever tenants sat in the waiting batch.
   */
  private double busySeconds(Node node, long latencyNanos, long endNanos) {
    if (endNanos == Command.Done.UNTIMED) {
      return latencyNanos / 1e9;
    }
    Long previous = state.lastStepEnd.put(node, endNanos);
    long start = endNanos - latencyNanos;
    if (previous != null && previous > start && previous < endNanos) {
      return (endNanos - previous) / 1e9;
    }
    return latencyNanos / 1e9;
  }

  private void stepped(
      Plan.Step batch,
      Map<String, ByteString> outputs,
      Throwable error,
      long latencyNanos,
      long endNanos) {
    List<Job> jobs = batch.jobs();
    state.inFlight.removeAll(jobs);
    if (error != null) {
      for (Job job : jobs) {
        planner.leave(job, batch.node());
        job.setAvoidNode(batch.node().name());
        if (job.cancelRequested()) {
          cancelled(job);
          continue;
        }
        // A step is a pure function of its inputs: the job keeps its latents and retries on any
        // healthy node.
        retryOrFail(
            job,
            error,
            () -> {
              job.transition(JobPhase.READY);
              state.ready.add(job, true);
            });
      }
      return;
    }
    double seconds = latencyNanos / 1e9;
    jobSteps += jobs.size(); // one writer: the loop thread
    state.profile(batch.node()).observe(jobs.size(), seconds);
    double share = busySeconds(batch.node(), latencyNanos, endNanos) / jobs.size();
    ByteString next = outputs.get(ModelContract.NEXT_LATENTS);
    ByteString denoised = outputs.get(ModelContract.DENOISED); // asked for only when previewed
    for (int i = 0; i < jobs.size(); i++) {
      Job job = jobs.get(i);
      job.resetFailedAttempts();
      job.addGpuSeconds(share);
      state.ready.charge(job.tenant(), share);
      usage.gpuSeconds(job.tenant(), share);
      job.advance(Tensors.slice(next, i, jobs.size()));
      events.append(
          job,
          JobEvent.newBuilder()
              .setProgress(
                  Progress.newBuilder().setStep(job.step()).setTotalSteps(job.totalSteps())));
      if (denoised != null && Planner.previewAfter(job, job.step())) {
        state.toPreview.addLast(
            new EngineState.PreviewWork(job, job.step(), Tensors.slice(denoised, i, jobs.size())));
      }
      if (job.cancelRequested()) {
        planner.leave(job, batch.node());
        cancelled(job);
      } else if (job.step() >= job.totalSteps()) {
        planner.leave(job, batch.node());
        job.transition(JobPhase.DECODING);
        job.timings().decodingStarted = events.now();
        state.addRunning(job.tenant(), 1); // decoding still counts as running
        state.toDecode.addLast(job);
      }
    }
  }

  /** DiT job-steps applied so far (the sum of successful DiT batches' sizes). */
  long jobSteps() {
    return jobSteps;
  }

  private void decoded(Plan.Decode batch, Map<String, ByteString> outputs, Throwable error) {
    state.inFlight.removeAll(batch.jobs());
    for (int i = 0; i < batch.jobs().size(); i++) {
      Job job = batch.jobs().get(i);
      if (job.cancelRequested()) {
        cancelled(job);
        continue;
      }
      if (error != null) {
        retryOrFail(job, error, () -> state.toDecode.addFirst(job));
        continue;
      }
      job.transition(JobPhase.ENCODING_VIDEO);
      job.timings().videoStarted = events.now();
      Pipeline p = job.pipeline();
      byte[] rgb =
          Tensors.slice(outputs.get(ModelContract.FRAMES), i, batch.jobs().size()).toByteArray();
      boolean pngs = job.request().getIncludeFrames();
      workers.execute(
          () -> {
            try {
              ClipRenderer.Rendered out =
                  renderer.render(
                      rgb, p.frameCount(), p.frameHeight(), p.frameWidth(), p.fps(), pngs);
              store.put(job.tenant(), job.id(), out.clip());
              inbox.accept(new Command.Rendered(job, out, null));
            } catch (Exception | Error e) {
              inbox.accept(new Command.Rendered(job, null, e));
            }
          });
    }
  }

  private void previewed(Plan.Preview batch, Map<String, ByteString> outputs, Throwable error) {
    if (error != null) {
      return; // a lost preview is not worth a retry: the next one comes a few steps later
    }
    Job job = batch.jobs().get(0);
    Pipeline p = job.pipeline();
    byte[] rgb = outputs.get(ModelContract.FRAMES).toByteArray();
    workers.execute(
        () -> {
          try {
            byte[] png = renderer.preview(rgb, batch.frames(), p.frameHeight(), p.frameWidth());
            inbox.accept(new Command.PreviewReady(job, batch.step(), png));
          } catch (RuntimeException e) {
            LOG.warning("preview of job " + job.id() + " failed: " + e);
          }
        });
  }

  void previewReady(Command.PreviewReady ready) {
    Job job = ready.job();
    if (job.phase().isTerminal() || job.events().closed()) {
      return;
    }
    events.append(
        job,
        JobEvent.newBuilder()
            .setProgress(
                Progress.newBuilder()
                    .setStep(ready.step())
                    .setTotalSteps(job.totalSteps())
                    .setPreviewPng(ByteString.copyFrom(ready.png()))));
  }

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
    } catch (dev.framecast.scheduler.job.EventLog.EventLogFullException e) {
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
    for (int offset = 0; offset < clip.length; offset += config.clipChunkBytes()) {
      int length = Math.min(config.clipChunkBytes(), clip.length - offset);
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
    state.addRunning(job.tenant(), -1);
    end(job, JobPhase.SUCCEEDED, now);
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
    usage.finished(job.tenant(), JobPhase.SUCCEEDED);
    usage.jobEnded(JobPhase.SUCCEEDED, seconds(job));
  }

  private static Timings timings(Job job, Instant end) {
    Job.Timings t = job.timings();
    Instant encoding = t.encodingStarted != null ? t.encodingStarted : job.created();
    Instant denoising = t.denoisingStarted != null ? t.denoisingStarted : encoding;
    Instant decoding = t.decodingStarted != null ? t.decodingStarted : end;
    Instant video = t.videoStarted != null ? t.videoStarted : end;
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

  private static double seconds(Job job) {
    return Duration.between(job.created(), job.finished()).toNanos() / 1e9;
  }

  private void retryOrFail(Job job, Throwable error, Runnable retry) {
    if (error instanceof Outputs.MalformedResponseException malformed) {
      // Not retried as if the node were down: a node that answers is trusted to answer the same
      // way again, and the health check takes it out once its metadata shows what changed.
      fail(job, Status.INTERNAL.withDescription(malformed.getMessage()));
      return;
    }
    Status status = Status.fromThrowable(error);
    job.countFailedAttempt();
    if (!isNodeFailure(status) || job.failedAttempts() >= config.maxAttempts()) {
      fail(
          job,
          Status.UNAVAILABLE.withDescription(
              "no node could run the job's request after "
                  + job.failedAttempts()
                  + " attempt(s): "
                  + status.getCode()
                  + " "
                  + status.getDescription()));
      return;
    }
    retry.run();
  }

  /** Ends a job as failed (from any non-terminal phase), freeing whatever it held. */
  void fail(Job job, Status status) {
    if (job.phase().isTerminal()) {
      return;
    }
    release(job);
    com.google.rpc.Status error =
        com.google.rpc.Status.newBuilder()
            .setCode(status.getCode().value())
            .setMessage(
                status.getDescription() == null ? status.getCode().name() : status.getDescription())
            .build();
    job.setError(error);
    end(job, JobPhase.FAILED, events.now());
    events.append(job, JobEvent.newBuilder().setFailed(Failed.newBuilder().setStatus(error)));
    usage.finished(job.tenant(), JobPhase.FAILED);
    usage.jobEnded(JobPhase.FAILED, seconds(job));
  }

  /** The one way a job ends: its terminal phase, its end time, and the loop told (justEnded). */
  private void end(Job job, JobPhase terminal, Instant at) {
    job.transition(terminal);
    state.justEnded.add(job);
    job.markFinished(at);
  }

  /** Ends a job as cancelled; its slot is free at this step boundary. */
  void cancelled(Job job) {
    if (job.phase().isTerminal()) {
      return;
    }
    release(job);
    end(job, JobPhase.CANCELLED, events.now());
    events.append(
        job,
        JobEvent.newBuilder().setCancelled(Cancelled.newBuilder().setReason(job.cancelReason())));
    usage.finished(job.tenant(), JobPhase.CANCELLED);
    usage.jobEnded(JobPhase.CANCELLED, seconds(job));
  }

  /** Removes a job from every waiting line and active set it may be in. */
  private void release(Job job) {
    if (job.phase() == JobPhase.DECODING || job.phase() == JobPhase.ENCODING_VIDEO) {
      state.addRunning(job.tenant(), -1); // counted as running from denoising's end to here
    }
    state.toEncode.remove(job);
    state.ready.remove(job);
    state.toDecode.remove(job);
    state.toPreview.removeIf(w -> w.job() == job);
    for (var entry : state.active.entrySet()) {
      planner.leave(job, entry.getKey());
    }
  }

  /** A cancel request: immediate when the job holds nothing in flight, else at the boundary. */
  void cancel(Job job, String reason) {
    if (job.phase().isTerminal()) {
      return;
    }
    job.requestCancel(reason);
    boolean busy =
        state.inFlight.contains(job)
            || job.phase() == JobPhase.ENCODING_TEXT
            || job.phase() == JobPhase.ENCODING_VIDEO;
    if (!busy) {
      cancelled(job);
    }
  }
}
