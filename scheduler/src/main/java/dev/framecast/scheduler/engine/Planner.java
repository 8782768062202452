package dev.framecast.scheduler.engine;

import com.google.protobuf.ByteString;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.Started;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.job.LatentCheckpoint;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.node.NodePool;
import dev.framecast.scheduler.pipeline.PhiloxNormal;
import dev.framecast.scheduler.pipeline.Pipeline;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code schedule(now)}: from the job lines and the time, the requests to send this tick. It moves
 * jobs only through {@link JobLines} (and into active sets by the policy's {@link ActiveSetRule},
 * which sees the lines as {@link Seats}); it sends nothing itself.
 */
final class Planner {
  private static final Logger LOG = Logger.getLogger(Planner.class.getName());

  private final JobLines lines;
  private final TextCache texts;
  private final NodeStats stats;
  private final StepSizing sizing;
  private final NodePool pool;
  private final EngineConfig config;
  private final Events events;
  private final ActiveSetRule rule;

  /** The lines' ready queue must be the one the config's policy serves from. */
  Planner(
      JobLines lines,
      TextCache texts,
      NodeStats stats,
      StepSizing sizing,
      ActiveSetRule rule,
      NodePool pool,
      EngineConfig config,
      Events events) {
    this.lines = lines;
    this.texts = texts;
    this.stats = stats;
    this.sizing = sizing;
    this.rule = rule;
    this.pool = pool;
    this.config = config;
    this.events = events;
  }

  /**
   * Every phase registers a batch's jobs as it adds the batch, and a failing phase is logged and
   * skipped: the batches already built (and their jobs' state) are always returned and sent, so no
   * job is left registered for a request that never goes out.
   */
  Plan schedule(Instant now) {
    List<Plan.Batch> batches = new ArrayList<>();
    Instant[] wake = new Instant[1];
    boolean[] stranded = new boolean[1];
    sizing.beginTick();
    try {
      guarded("encode", () -> encode(batches, now));
      guarded("evict", this::evict);
      guarded("activate", () -> wake[0] = activate(now, stranded));
      guarded("step", () -> step(batches));
      guarded("decode", () -> decode(batches));
      guarded("preview", () -> preview(batches));
    } finally {
      sizing.endTick();
    }
    return new Plan(batches, wake[0], stranded[0]);
  }

  private static void guarded(String phase, Runnable body) {
    try {
      body.run();
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "scheduling phase '" + phase + "' failed", e);
    }
  }

  /** One encoder batch in the making. */
  private static final class EncodeBatch {
    Pipeline pipeline;
    Node node;
    final List<String> prompts = new ArrayList<>();
    final List<Job> covered = new ArrayList<>();
  }

  /**
   * Jobs whose prompts are cached become ready at once. Prompts neither cached nor being encoded go
   * into one encoder batch, up to the encoder's batch limit; a job moves to ENCODING_TEXT only when
   * every prompt it lacks is in this batch or already in flight, otherwise it stays queued and is
   * covered on a later tick (so a limit of 1 still makes progress).
   */
  private void encode(List<Plan.Batch> batches, Instant now) {
    EncodeBatch batch = new EncodeBatch();
    lines.triageWaitingForText(job -> triage(job, batch, now));
    if (batch.prompts.isEmpty()) {
      return;
    }
    // Jobs waiting on text are tracked by the prompts they wait on, not as in flight: a prompt
    // shared by several jobs is encoded once.
    for (String prompt : batch.prompts) {
      lines.awaitText(TextCache.key(batch.pipeline, prompt), null);
    }
    batches.add(
        new Plan.Encode(
            batch.node,
            batch.covered,
            batch.pipeline,
            batch.prompts,
            Requests.encode(batch.pipeline, batch.prompts)));
  }

  private JobLines.Triage triage(Job job, EncodeBatch batch, Instant now) {
    Pipeline p = job.pipeline();
    List<String> lacking = new ArrayList<>();
    for (String prompt : List.of(job.spec().prompt(), job.spec().negativePrompt())) {
      if (texts.get(p, prompt) == null && !lacking.contains(prompt)) {
        lacking.add(prompt);
      }
    }
    if (lacking.isEmpty()) {
      job.setText(texts.get(p, job.spec().prompt()), texts.get(p, job.spec().negativePrompt()));
      return JobLines.Triage.READY;
    }
    if (batch.pipeline == null) {
      batch.node = pool.place(Set.of(p.spec().textEncoder()), Node::inFlight).orElse(null);
      if (batch.node == null) {
        return JobLines.Triage.WAIT; // no encoder node for this pipeline now
      }
      batch.pipeline = p;
    } else if (batch.pipeline != p) {
      return JobLines.Triage.WAIT; // one pipeline's encoder per batch; the rest wait a tick
    }
    int room = Math.max(1, p.maxBatchSize());
    boolean all = true;
    for (String prompt : lacking) {
      if (lines.textPending(TextCache.key(p, prompt)) || batch.prompts.contains(prompt)) {
        continue;
      }
      if (batch.prompts.size() < room) {
        batch.prompts.add(prompt);
      } else {
        all = false;
      }
    }
    if (!all) {
      return JobLines.Triage.WAIT; // the rest of its prompts go in a later batch
    }
    job.timings().entered(JobPhase.ENCODING_TEXT, now);
    batch.covered.add(job);
    for (String prompt : lacking) {
      lines.awaitText(TextCache.key(p, prompt), job);
    }
    return JobLines.Triage.ENCODING;
  }

  /**
   * Fills active sets by the policy's rule and announces the jobs that started; tells whether jobs
   * wait on nodes while no healthy node is up (they fail after noNodeTimeout). Returns when the
   * rule's next decision falls due, or null.
   */
  private Instant activate(Instant now, boolean[] stranded) {
    Instant wake = rule.fill(now);
    for (JobLines.Start start : lines.drainStarted()) {
      Job job = start.job();
      LatentCheckpoint checkpoint = job.takeResumeFrom();
      if (checkpoint != null) {
        job.restore(checkpoint); // taken back after a restart: on from its checkpoint's step
      } else {
        job.setLatents(
            ByteString.copyFrom(PhiloxNormal.noise(job.seed(), job.pipeline().latentSize())));
      }
      job.timings().entered(JobPhase.DENOISING, now);
      events.append(
          job, JobEvent.newBuilder().setStarted(Started.newBuilder().setNode(start.node().name())));
      if (job.step() >= job.totalSteps()) {
        // Checkpointed after its last step (it was decoding or encoding its clip): no step left,
        // straight to the VAE's line.
        job.timings().entered(JobPhase.DECODING, now);
        lines.denoised(job, start.node());
      }
    }
    // Jobs waiting for their text or their decoding wait on nodes too: with none up they would
    // otherwise wait for ever.
    stranded[0] = lines.anyWaiting() && pool.healthy(Set.of()).isEmpty();
    return wake;
  }

  /**
   * Jobs between steps on a node that can no longer run their DiT (unhealthy, ejected, or the model
   * unloaded) go back to the ready queue, to run on another node.
   */
  private void evict() {
    for (Node node : List.copyOf(lines.activeNodes())) {
      for (Job job : List.copyOf(lines.activeOn(node))) {
        if (!lines.inFlight(job) && !node.canRun(Set.of(job.pipeline().spec().dit()))) {
          lines.requeue(job, node);
        }
      }
    }
  }

  /**
   * DiT batches per node from its active jobs that are between steps, up to the rule's batch size
   * each, and as many in flight as the rule allows (continuous batching: two where RPC time
   * matters, the active set then holding two batches' worth of jobs; one otherwise).
   */
  private void step(List<Plan.Batch> batches) {
    for (Node node : lines.activeNodes()) {
      List<Job> jobs = new ArrayList<>();
      for (Job job : lines.activeOn(node)) {
        // Health may change between phases (another thread): never send to a node that cannot.
        if (!lines.inFlight(job) && node.canRun(Set.of(job.pipeline().spec().dit()))) {
          jobs.add(job);
        }
      }
      if (jobs.isEmpty()) {
        continue;
      }
      // Jobs that fell behind go first, so a set larger than one batch does not starve its tail;
      // one batch holds one pipeline's jobs (a node may host several DiTs).
      jobs.sort(Comparator.comparingInt(Job::step));
      Pipeline pipeline = jobs.get(0).pipeline();
      jobs.removeIf(j -> j.pipeline() != pipeline);
      int batch = rule.batchSize(node, pipeline);
      int allowed = rule.batchesInFlight(node, pipeline, batch);
      while (!jobs.isEmpty() && node.inFlight() + pending(batches, node) < allowed) {
        if (!node.breaker().allow()) {
          break; // a half-open breaker lets one trial batch through at a time
        }
        List<Job> next = List.copyOf(jobs.subList(0, Math.min(Math.max(1, batch), jobs.size())));
        jobs.removeAll(next);
        if (node.inFlight() == 0 && pending(batches, node) == 0) {
          stats.loneSend(node, events.now(), next.size());
        }
        lines.markInFlight(next);
        batches.add(new Plan.Step(node, next, Requests.step(next)));
      }
    }
  }

  private static int pending(List<Plan.Batch> batches, Node node) {
    int count = 0;
    for (Plan.Batch b : batches) {
      if (b instanceof Plan.Step && b.node() == node) {
        count++;
      }
    }
    return count;
  }

  private void decode(List<Plan.Batch> batches) {
    Pipeline p = lines.nextDecodePipeline();
    if (p == null) {
      return;
    }
    Optional<Node> node = pool.place(Set.of(p.spec().vae()), Node::inFlight);
    if (node.isPresent()) {
      List<Job> jobs = lines.takeForDecode(p, p.maxBatchSize());
      batches.add(new Plan.Decode(node.get(), jobs, Requests.decode(jobs)));
    }
  }

  /** Each preview decodes the first few latent frames of the job's current prediction. */
  private void preview(List<Plan.Batch> batches) {
    while (lines.peekPreview() != null) {
      Pipeline p = lines.peekPreview().job().pipeline();
      Optional<Node> node = pool.place(Set.of(p.spec().vae()), Node::inFlight);
      if (node.isEmpty()) {
        return;
      }
      JobLines.PreviewWork work = lines.pollPreview();
      int frames = Math.min(config.previewFrames(), p.latentFrames());
      batches.add(
          new Plan.Preview(
              node.get(),
              List.of(work.job()),
              work.step(),
              frames,
              Requests.preview(p, work.denoised(), frames)));
    }
  }
}
