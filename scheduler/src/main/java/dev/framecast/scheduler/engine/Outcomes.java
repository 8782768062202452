package dev.framecast.scheduler.engine;

import com.google.protobuf.ByteString;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.Progress;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.pipeline.ModelContract;
import dev.framecast.scheduler.pipeline.Pipeline;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * {@code apply}: turns a finished node request into advanced jobs, events and accounting, moving
 * jobs only through {@link JobLines} and ending them through {@link Endings}; returns the work to
 * start off the loop ({@link Effect}s: renders), which the loop carries out. Loop thread only.
 */
final class Outcomes {
  private static final Logger LOG = Logger.getLogger(Outcomes.class.getName());

  private final JobLines lines;
  private final TextCache texts;
  private final NodeStats stats;
  private final Endings endings;
  private final Events events;
  private final UsageSink usage;
  private final int maxAttempts;
  private final Checkpoints checkpoints;

  /** Each pipeline's contract, made once (loop thread). */
  private final Map<Pipeline, ModelContract> contracts = new IdentityHashMap<>();

  /** DiT job-steps applied; written by the loop thread only, read by any. */
  private volatile long jobSteps;

  Outcomes(
      JobLines lines,
      TextCache texts,
      NodeStats stats,
      Endings endings,
      Events events,
      UsageSink usage,
      int maxAttempts,
      Checkpoints checkpoints) {
    this.lines = lines;
    this.texts = texts;
    this.stats = stats;
    this.endings = endings;
    this.events = events;
    this.usage = usage;
    this.maxAttempts = maxAttempts;
    this.checkpoints = checkpoints;
  }

  /** Applies one finished request; returns the renders it starts. */
  List<Effect> apply(Command.Done done) {
    Plan.Batch batch = done.batch();
    Node node = batch.node();
    node.addInFlight(-1);
    Throwable error = done.error();
    Map<String, ByteString> outputs = Map.of();
    if (error == null) {
      try {
        ModelContract contract = contracts.computeIfAbsent(batch.pipeline(), ModelContract::of);
        outputs =
            Outputs.read(
                batch.request().getModelName(), done.response(), Outputs.expected(batch, contract));
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
    judgeNode(batch, error);
    List<Effect> effects = new ArrayList<>();
    if (batch instanceof Plan.Encode encode) {
      encoded(encode, outputs, error);
    } else if (batch instanceof Plan.Step step) {
      stepped(step, outputs, error, done.latencyNanos(), done.endNanos());
    } else if (batch instanceof Plan.Decode decode) {
      decoded(decode, outputs, error, effects);
    } else if (batch instanceof Plan.Preview preview && error == null) {
      // A lost preview is not worth a retry: the next one comes a few steps later.
      effects.add(
          new Effect.RenderPreview(
              preview.jobs().get(0),
              preview.step(),
              outputs.get(ModelContract.FRAMES).toByteArray(),
              preview.frames()));
    }
    return effects;
  }

  /** The node's breaker hears how the request went. */
  private static void judgeNode(Plan.Batch batch, Throwable error) {
    Node node = batch.node();
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
  }

  private static String kind(Plan.Batch batch) {
    return batch.getClass().getSimpleName().toLowerCase()
        + " of "
        + batch.jobs().size()
        + " job(s)";
  }

  /**
   * Messages with which a Triton-protocol node refuses a request before running it (Triton's own
   * wording, which the inference node mirrors): it is stopping, its queue is full, or the model
   * version is not ready.
   */
  private static final List<String> REFUSALS =
      List.of("Server is stopping", "Exceeds maximum queue size", "is not at ready state");

  /**
   * True when the request never ran on the node: the connection was refused (the node is gone or
   * restarting), or the node refused it with UNAVAILABLE before running it. Such a failure says
   * nothing about the request, so it is not counted against the job's attempts; a node stopped for
   * a rolling update must not fail the jobs it was serving.
   */
  static boolean neverRan(Status status) {
    if (status.getCode() != Status.Code.UNAVAILABLE) {
      return false;
    }
    for (Throwable cause = status.getCause(); cause != null; cause = cause.getCause()) {
      if (cause instanceof java.net.ConnectException) {
        return true;
      }
    }
    String description = status.getDescription();
    return description != null && REFUSALS.stream().anyMatch(description::contains);
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
    int n = batch.prompts().size();
    for (int i = 0; i < n; i++) {
      String key = TextCache.key(p, batch.prompts().get(i));
      lines.textArrived(key).stream().filter(j -> !waiting.contains(j)).forEach(waiting::add);
      if (error == null) {
        texts.put(
            key,
            new Job.TextEmbedding(
                Tensors.slice(outputs.get(ModelContract.TEXT_EMBEDDINGS), i, n),
                Tensors.slice(outputs.get(ModelContract.ATTENTION_MASK), i, n)));
      }
    }
    for (Job job : waiting) {
      if (job.phase() != JobPhase.ENCODING_TEXT) {
        continue; // ended meanwhile, or still waiting on another prompt's request
      }
      if (job.cancelRequested()) {
        endings.cancelled(job);
      } else if (error != null) {
        if (retryable(job, error)) {
          lines.retryText(job);
        }
      } else {
        Job.TextEmbedding text = texts.get(p, job.spec().prompt());
        Job.TextEmbedding negative = texts.get(p, job.spec().negativePrompt());
        if (text != null && negative != null) {
          job.setText(text, negative);
          lines.textReady(job);
        }
      }
    }
  }

  private void stepped(
      Plan.Step batch,
      Map<String, ByteString> outputs,
      Throwable error,
      long latencyNanos,
      long endNanos) {
    List<Job> jobs = batch.jobs();
    Node node = batch.node();
    lines.landed(jobs);
    if (error != null) {
      for (Job job : jobs) {
        job.setAvoidNode(node.name());
        if (job.cancelRequested()) {
          endings.cancelled(job);
        } else if (retryable(job, error)) {
          // A step is a pure function of its inputs: the job keeps its latents and retries on
          // any healthy node.
          lines.requeue(job, node);
        }
      }
      return;
    }
    jobSteps += jobs.size(); // one writer: the loop thread
    stats.profile(node).observe(jobs.size(), latencyNanos / 1e9);
    double share = stats.busySeconds(node, latencyNanos, endNanos) / jobs.size();
    ByteString next = outputs.get(ModelContract.NEXT_LATENTS);
    ByteString denoised = outputs.get(ModelContract.DENOISED); // asked for only when previewed
    for (int i = 0; i < jobs.size(); i++) {
      Job job = jobs.get(i);
      job.resetFailedAttempts();
      job.addGpuSeconds(share);
      lines.charge(job.tenant(), share);
      usage.gpuSeconds(job.tenant(), share);
      job.advance(Tensors.slice(next, i, jobs.size()));
      checkpoints.stepped(job);
      events.append(
          job,
          JobEvent.newBuilder()
              .setProgress(
                  Progress.newBuilder().setStep(job.step()).setTotalSteps(job.totalSteps())));
      if (denoised != null && Requests.previewAfter(job, job.step())) {
        lines.addPreview(job, job.step(), Tensors.slice(denoised, i, jobs.size()));
      }
      if (job.cancelRequested()) {
        endings.cancelled(job);
      } else if (job.step() >= job.totalSteps()) {
        job.timings().entered(JobPhase.DECODING, events.now());
        lines.denoised(job, node);
      }
    }
  }

  /** DiT job-steps applied so far (the sum of successful DiT batches' sizes). */
  long jobSteps() {
    return jobSteps;
  }

  private void decoded(
      Plan.Decode batch, Map<String, ByteString> outputs, Throwable error, List<Effect> effects) {
    lines.landed(batch.jobs());
    int n = batch.jobs().size();
    for (int i = 0; i < n; i++) {
      Job job = batch.jobs().get(i);
      if (job.cancelRequested()) {
        endings.cancelled(job);
      } else if (error != null) {
        if (retryable(job, error)) {
          lines.retryDecode(job);
        }
      } else {
        lines.rendering(job);
        job.timings().entered(JobPhase.ENCODING_VIDEO, events.now());
        byte[] rgb = Tensors.slice(outputs.get(ModelContract.FRAMES), i, n).toByteArray();
        effects.add(new Effect.RenderClip(job, rgb, job.spec().framePngs()));
      }
    }
  }

  /** A rendered preview becomes a progress event, unless the job ended meanwhile. */
  void previewReady(Command.PreviewReady ready) {
    Job job = ready.job();
    if (job.phase().isTerminal() || job.events().sealed()) {
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

  /**
   * True when the job's failed request may be retried; otherwise the job has failed (a malformed
   * answer, a fault of the request, or too many attempts).
   */
  private boolean retryable(Job job, Throwable error) {
    if (error instanceof Outputs.MalformedResponseException malformed) {
      // Not retried as if the node were down: a node that answers is trusted to answer the same
      // way again, and the health check takes it out once its metadata shows what changed.
      endings.fail(job, Status.INTERNAL.withDescription(malformed.getMessage()));
      return false;
    }
    Status status = Status.fromThrowable(error);
    if (neverRan(status)) {
      // Not an attempt: the request did not run, so it cannot be what fails. The node is out
      // (its breaker heard the failure, its health check follows); the job waits for a ready
      // node, at most noNodeTimeout.
      return true;
    }
    job.countFailedAttempt();
    if (!isNodeFailure(status) || job.failedAttempts() >= maxAttempts) {
      endings.fail(
          job,
          Status.UNAVAILABLE.withDescription(
              "no node could run the job's request after "
                  + job.failedAttempts()
                  + " attempt(s): "
                  + status.getCode()
                  + " "
                  + status.getDescription()));
      return false;
    }
    return true;
  }
}
