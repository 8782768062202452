package dev.framecast.scheduler.engine;

import com.google.protobuf.ByteString;
import dev.framecast.api.v1.Started;
import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.scheduler.batch.BatchSizer;
import dev.framecast.scheduler.batch.StepProfile;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.node.NodePool;
import dev.framecast.scheduler.pipeline.ModelContract;
import dev.framecast.scheduler.pipeline.PhiloxNormal;
import dev.framecast.scheduler.pipeline.Pipeline;
import dev.framecast.scheduler.pipeline.Tokenizer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code schedule()}: from the loop's state and the time, the requests to send this tick. It moves
 * jobs between waiting lines (and into active sets, by the policy's {@link ActiveSetRule}), but
 * sends nothing itself.
 */
final class Planner {
  private final EngineState state;
  private final NodePool pool;
  private final BatchSizer sizer;
  private final EngineConfig config;
  private final Events events;
  private final ActiveSetRule rule;

  /** Batch sizes worked out during the current tick; null between ticks. */
  private Map<Node, Map<Pipeline, Integer>> tickBatchSizes;

  /** The state's ready queue must be the one the config's policy serves from. */
  Planner(EngineState state, NodePool pool, BatchSizer sizer, EngineConfig config, Events events) {
    this.state = state;
    this.pool = pool;
    this.sizer = sizer;
    this.config = config;
    this.events = events;
    this.rule = ActiveSetRule.of(config.policy(), this, state, pool);
  }

  /**
   * Every phase registers a batch's jobs as it adds the batch, and a failing phase is logged and
   * skipped: the batches already built (and their jobs' state) are always returned and sent, so no
   * job is left registered for a request that never goes out.
   */
  Plan schedule(Instant now) {
    List<Plan.Batch> batches = new ArrayList<>();
    Instant[] wake = new Instant[1];
    // Profiles change only between ticks (results are applied between them), so a node's batch
    // size is worked out once a tick, not once for every job that might join it.
    tickBatchSizes = new HashMap<>();
    try {
      guarded("encode", () -> encode(batches));
      guarded("evict", () -> state.active.keySet().forEach(this::evict));
      guarded("activate", () -> wake[0] = activate(now));
      guarded("step", () -> step(batches));
      guarded("decode", () -> decode(batches));
      guarded("preview", () -> preview(batches));
    } finally {
      tickBatchSizes = null;
    }
    return new Plan(batches, wake[0]);
  }

  private static void guarded(String phase, Runnable body) {
    try {
      body.run();
    } catch (RuntimeException e) {
      java.util.logging.Logger.getLogger(Planner.class.getName())
          .log(java.util.logging.Level.SEVERE, "scheduling phase '" + phase + "' failed", e);
    }
  }

  /**
   * Jobs whose prompts are cached become ready at once. Prompts neither cached nor being encoded go
   * into one encoder batch, up to the encoder's batch limit; a job moves to ENCODING_TEXT only when
   * every prompt it lacks is in this batch or already in flight, otherwise it stays queued and is
   * covered on a later tick (so a limit of 1 still makes progress).
   */
  private void encode(List<Plan.Batch> batches) {
    Pipeline pipeline = null;
    Node node = null;
    List<String> prompts = new ArrayList<>();
    List<Job> covered = new ArrayList<>();
    for (Iterator<Job> it = state.toEncode.iterator(); it.hasNext(); ) {
      Job job = it.next();
      if (job.phase().isTerminal()) {
        it.remove();
        continue;
      }
      Pipeline p = job.pipeline();
      List<String> lacking = new ArrayList<>();
      for (String prompt : List.of(job.request().getPrompt(), job.request().getNegativePrompt())) {
        if (state.textCache.get(key(p, prompt)) == null && !lacking.contains(prompt)) {
          lacking.add(prompt);
        }
      }
      if (lacking.isEmpty()) {
        it.remove();
        job.setText(
            state.textCache.get(key(p, job.request().getPrompt())),
            state.textCache.get(key(p, job.request().getNegativePrompt())));
        job.transition(JobPhase.READY);
        state.ready.add(job, false);
        continue;
      }
      if (pipeline == null) {
        node = pool.place(Set.of(p.spec().textEncoder()), Node::inFlight).orElse(null);
        if (node == null) {
          continue; // no encoder node for this pipeline now
        }
        pipeline = p;
      } else if (pipeline != p) {
        continue; // one pipeline's encoder per batch; the rest wait a tick
      }
      int room = Math.max(1, p.maxBatchSize());
      boolean all = true;
      for (String prompt : lacking) {
        if (state.encoding.containsKey(key(p, prompt)) || prompts.contains(prompt)) {
          continue;
        }
        if (prompts.size() < room) {
          prompts.add(prompt);
        } else {
          all = false;
        }
      }
      if (!all) {
        continue; // the rest of its prompts go in a later batch
      }
      it.remove();
      job.transition(JobPhase.ENCODING_TEXT);
      if (job.timings().encodingStarted == null) {
        job.timings().encodingStarted = events.now();
      }
      covered.add(job);
      for (String prompt : lacking) {
        state.encoding.computeIfAbsent(key(p, prompt), k -> new ArrayList<>()).add(job);
      }
    }
    if (prompts.isEmpty()) {
      return;
    }
    List<ByteString> ids = new ArrayList<>();
    for (String prompt : prompts) {
      ids.add(ByteString.copyFrom(Tokenizer.utf8Bytes(prompt, pipeline.maxTextLength())));
      state.encoding.computeIfAbsent(key(pipeline, prompt), k -> new ArrayList<>());
    }
    // Jobs waiting on text are tracked by state.encoding, not state.inFlight: they are in no
    // other line, and a prompt shared by several jobs is encoded once.
    ModelInferRequest request =
        ModelInferRequest.newBuilder()
            .setModelName(pipeline.spec().textEncoder())
            .addInputs(
                Tensors.input(
                    ModelContract.INPUT_IDS, "INT64", prompts.size(), pipeline.maxTextLength()))
            .addRawInputContents(Tensors.concat(ids))
            .addOutputs(Tensors.output(ModelContract.TEXT_EMBEDDINGS))
            .addOutputs(Tensors.output(ModelContract.ATTENTION_MASK))
            .build();
    batches.add(new Plan.Encode(node, covered, pipeline, prompts, request));
  }

  static String key(Pipeline pipeline, String prompt) {
    return pipeline.spec().textEncoder() + '\u0000' + prompt;
  }

  /**
   * Fills active sets by the policy's rule, and notes when no healthy node could take waiting jobs
   * (they fail after noNodeTimeout). Returns when the rule's next decision falls due, or null.
   */
  private Instant activate(Instant now) {
    // Jobs waiting for their text or their decoding wait on nodes too: with none up they would
    // otherwise wait for ever.
    boolean anyWaiting =
        state.ready.size() > 0 || !state.toEncode.isEmpty() || !state.toDecode.isEmpty();
    Instant wake = rule.fill(now);
    boolean someNodeUp = !pool.healthy(Set.of()).isEmpty();
    state.noNodeSince =
        anyWaiting && !someNodeUp ? (state.noNodeSince == null ? now : state.noNodeSince) : null;
    return wake;
  }

  /** Jobs one DiT batch on the node holds by the batch-size rule on its profile. */
  int batchSize(Node node, Pipeline pipeline) {
    if (tickBatchSizes == null) {
      return chooseBatchSize(node, pipeline);
    }
    return tickBatchSizes
        .computeIfAbsent(node, n -> new HashMap<>())
        .computeIfAbsent(pipeline, p -> chooseBatchSize(node, p));
  }

  private int chooseBatchSize(Node node, Pipeline pipeline) {
    int batch = sizer.choose(state.profile(node), pipeline.maxBatchSize());
    java.util.Map<Integer, Double> compute = node.computeProfile(pipeline.spec().dit());
    if (batch > 1 && compute.size() >= 2) {
      // Round trips reward big batches for amortising RPC time, and every job in a batch waits for
      // all of it. Where the node's own compute says a smaller batch is as efficient and two such
      // micro-batches would alternate (RPC time matters at that size), hide the RPC by pipelining
      // instead: on a large DiT, whose compute gains nothing from batching, that keeps a job's
      // step from waiting for three others.
      int computeBatch = sizer.choose(computeProfile(node, compute), pipeline.maxBatchSize());
      if (computeBatch < batch && rpcMatters(node, pipeline, computeBatch)) {
        batch = computeBatch;
      }
    }
    return batch;
  }

  /**
   * The node's compute times as a profile, made once per set of statistics the node reports, not
   * once per tick.
   */
  private StepProfile computeProfile(Node node, java.util.Map<Integer, Double> compute) {
    EngineState.ComputeProfile cached = state.computeProfiles.get(node);
    if (cached == null || cached.source() != compute) {
      cached = new EngineState.ComputeProfile(compute, new StepProfile(compute));
      state.computeProfiles.put(node, cached);
    }
    return cached.profile();
  }

  /**
   * True when more than 10% of a step's round trip is not the node's compute (serialization,
   * network, queueing): then two micro-batches alternate, so the node computes one while the
   * other's result is applied and its next request travels.
   */
  boolean rpcMatters(Node node, Pipeline pipeline, int batch) {
    if (config.maxInFlightPerNode() < 2) {
      return false;
    }
    double roundTrip = state.profile(node).latency(batch);
    double compute = node.computeSeconds(pipeline.spec().dit(), batch);
    // The node idles for the whole cycle minus its compute: the round trip's transfers and
    // queueing, and the loop's turnaround between a result and the next request.
    double cycle = state.stepCycleSeconds.getOrDefault(node, Double.NaN);
    double period = Double.isFinite(cycle) ? Math.max(roundTrip, cycle) : roundTrip;
    return Double.isFinite(period) && Double.isFinite(compute) && period - compute > 0.1 * period;
  }

  /**
   * Times a lone DiT send against the node's previous one: their distance is a step's whole cycle.
   * A gap of more than three round trips is the node waiting for work, not turnaround, and is not
   * counted.
   */
  private void timeCycle(Node node, List<Plan.Batch> batches, int batch) {
    if (node.inFlight() > 0 || pending(batches, node) > 0) {
      return;
    }
    java.time.Instant now = events.now();
    java.time.Instant last = state.lastLoneStep.put(node, now);
    double roundTrip = state.profile(node).latency(batch);
    if (last == null || !Double.isFinite(roundTrip)) {
      return;
    }
    double seconds = java.time.Duration.between(last, now).toNanos() / 1e9;
    if (seconds > 0 && seconds <= 3 * roundTrip) {
      state.stepCycleSeconds.merge(node, seconds, (old, x) -> 0.8 * old + 0.2 * x);
    }
  }

  /** Puts a ready job into the node's active set (its first join sends the started event). */
  void join(Job job, Node node) {
    job.transition(JobPhase.DENOISING);
    state.activeOn(node).add(job);
    state.addRunning(job.tenant(), 1);
    if (job.latents() == null) {
      Pipeline p = job.pipeline();
      job.setLatents(ByteString.copyFrom(PhiloxNormal.noise(job.seed(), p.latentSize())));
    }
    if (job.started() == null) {
      state.notStarted--;
      job.markStarted(events.now());
      job.timings().denoisingStarted = events.now();
      events.append(
          job,
          dev.framecast.api.v1.JobEvent.newBuilder()
              .setStarted(Started.newBuilder().setNode(node.name())));
    }
  }

  /** Takes a job out of its node's active set. */
  void leave(Job job, Node node) {
    if (state.activeOn(node).remove(job)) {
      state.addRunning(job.tenant(), -1);
    }
  }

  /**
   * Jobs between steps on a node that can no longer run their DiT (unhealthy, ejected, or the model
   * unloaded) go back to the ready queue, to run on another node.
   */
  private void evict(Node node) {
    for (Job job : new ArrayList<>(state.activeOn(node))) {
      if (!state.inFlight.contains(job) && !node.canRun(Set.of(job.pipeline().spec().dit()))) {
        leave(job, node);
        job.transition(JobPhase.READY);
        state.ready.add(job, true);
      }
    }
  }

  /**
   * DiT batches per node from its active jobs that are between steps, up to the rule's batch size
   * each, and as many in flight as the rule allows (continuous batching: two where RPC time
   * matters, the active set then holding two batches' worth of jobs; one otherwise).
   */
  private void step(List<Plan.Batch> batches) {
    for (Map.Entry<Node, List<Job>> entry : state.active.entrySet()) {
      Node node = entry.getKey();
      List<Job> jobs = new ArrayList<>();
      for (Job job : entry.getValue()) {
        // Health may change between phases (another thread): never send to a node that cannot.
        if (!state.inFlight.contains(job) && node.canRun(Set.of(job.pipeline().spec().dit()))) {
          jobs.add(job);
        }
      }
      if (jobs.isEmpty()) {
        continue;
      }
      // Jobs that fell behind go first, so a set larger than one batch does not starve its tail;
      // one batch holds one pipeline's jobs (a node may host several DiTs).
      jobs.sort(java.util.Comparator.comparingInt(Job::step));
      Pipeline pipeline = jobs.get(0).pipeline();
      jobs.removeIf(j -> j.pipeline() != pipeline);
      int batch = rule.batchSize(node, pipeline);
      int allowed = rule.batchesInFlight(node, pipeline, batch);
      while (!jobs.isEmpty() && node.inFlight() + pending(batches, node) < allowed) {
        if (!node.breaker().allow()) {
          break; // a half-open breaker lets one trial batch through at a time
        }
        List<Job> next =
            new ArrayList<>(jobs.subList(0, Math.min(Math.max(1, batch), jobs.size())));
        jobs.removeAll(next);
        send(batches, node, next);
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

  private void send(List<Plan.Batch> batches, Node node, List<Job> jobs) {
    timeCycle(node, batches, jobs.size());
    List<Job> batch = List.copyOf(jobs);
    state.inFlight.addAll(batch);
    batches.add(new Plan.Step(node, batch, stepRequest(batch)));
  }

  /**
   * Whether the job's prediction after {@code step} steps is previewed: every preview_every steps,
   * but not after the last (the clip itself follows).
   */
  static boolean previewAfter(Job job, int step) {
    int every = job.request().getPreviewEvery();
    return every > 0 && step % every == 0 && step < job.totalSteps();
  }

  static ModelInferRequest stepRequest(List<Job> jobs) {
    Pipeline p = jobs.get(0).pipeline();
    int n = jobs.size();
    float[] t = new float[n];
    float[] next = new float[n];
    float[] guidance = new float[n];
    List<ByteString> latents = new ArrayList<>();
    List<ByteString> text = new ArrayList<>();
    List<ByteString> mask = new ArrayList<>();
    List<ByteString> negative = new ArrayList<>();
    List<ByteString> negativeMask = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Job job = jobs.get(i);
      // Linear schedule: t_i = 1 - i / N, from pure noise (t = 1) to data (t = 0).
      t[i] = 1f - (float) job.step() / job.totalSteps();
      next[i] = 1f - (float) (job.step() + 1) / job.totalSteps();
      guidance[i] = job.guidance();
      latents.add(job.latents());
      text.add(job.text().embeddings());
      mask.add(job.text().mask());
      negative.add(job.negativeText().embeddings());
      negativeMask.add(job.negativeText().mask());
    }
    int l = p.maxTextLength();
    int d = p.embeddingDim();
    ModelInferRequest.Builder request = ModelInferRequest.newBuilder();
    request.addOutputs(Tensors.output(ModelContract.NEXT_LATENTS));
    // The prediction is only read for previews: most steps do not carry it back.
    if (jobs.stream().anyMatch(job -> previewAfter(job, job.step() + 1))) {
      request.addOutputs(Tensors.output(ModelContract.DENOISED));
    }
    return request
        .setModelName(p.spec().dit())
        .addInputs(
            Tensors.input(
                "latents",
                "FP32",
                n,
                p.latentChannels(),
                p.latentFrames(),
                p.latentHeight(),
                p.latentWidth()))
        .addInputs(Tensors.input("timestep", "FP32", n, 1))
        .addInputs(Tensors.input("next_timestep", "FP32", n, 1))
        .addInputs(Tensors.input("text_embeddings", "FP32", n, l, d))
        .addInputs(Tensors.input("attention_mask", "FP32", n, l))
        .addInputs(Tensors.input("negative_text_embeddings", "FP32", n, l, d))
        .addInputs(Tensors.input("negative_attention_mask", "FP32", n, l))
        .addInputs(Tensors.input("guidance_scale", "FP32", n, 1))
        .addRawInputContents(Tensors.concat(latents))
        .addRawInputContents(Tensors.floats(t))
        .addRawInputContents(Tensors.floats(next))
        .addRawInputContents(Tensors.concat(text))
        .addRawInputContents(Tensors.concat(mask))
        .addRawInputContents(Tensors.concat(negative))
        .addRawInputContents(Tensors.concat(negativeMask))
        .addRawInputContents(Tensors.floats(guidance))
        .build();
  }

  private void decode(List<Plan.Batch> batches) {
    if (state.toDecode.isEmpty()) {
      return;
    }
    Pipeline p = state.toDecode.peekFirst().pipeline();
    Optional<Node> node = pool.place(Set.of(p.spec().vae()), Node::inFlight);
    if (node.isEmpty()) {
      return;
    }
    List<Job> jobs = new ArrayList<>();
    for (Iterator<Job> it = state.toDecode.iterator();
        it.hasNext() && jobs.size() < p.maxBatchSize(); ) {
      Job job = it.next();
      if (job.pipeline() == p) {
        it.remove();
        jobs.add(job);
      }
    }
    state.inFlight.addAll(jobs);
    List<ByteString> latents = new ArrayList<>();
    jobs.forEach(j -> latents.add(j.latents()));
    ModelInferRequest request =
        ModelInferRequest.newBuilder()
            .setModelName(p.spec().vae())
            .addInputs(
                Tensors.input(
                    "latents",
                    "FP32",
                    jobs.size(),
                    p.latentChannels(),
                    p.latentFrames(),
                    p.latentHeight(),
                    p.latentWidth()))
            .addRawInputContents(Tensors.concat(latents))
            .addOutputs(Tensors.output(ModelContract.FRAMES))
            .build();
    batches.add(new Plan.Decode(node.get(), jobs, request));
  }

  /** Each preview decodes the first few latent frames of the job's current prediction. */
  private void preview(List<Plan.Batch> batches) {
    while (!state.toPreview.isEmpty()) {
      EngineState.PreviewWork work = state.toPreview.peekFirst();
      Pipeline p = work.job().pipeline();
      Optional<Node> node = pool.place(Set.of(p.spec().vae()), Node::inFlight);
      if (node.isEmpty()) {
        return;
      }
      state.toPreview.pollFirst();
      if (work.job().phase().isTerminal()) {
        continue;
      }
      int frames = Math.min(config.previewFrames(), p.latentFrames());
      int plane = p.latentHeight() * p.latentWidth() * Float.BYTES;
      int perChannel = p.latentFrames() * plane;
      List<ByteString> parts = new ArrayList<>();
      for (int c = 0; c < p.latentChannels(); c++) {
        parts.add(work.denoised().substring(c * perChannel, c * perChannel + frames * plane));
      }
      ModelInferRequest request =
          ModelInferRequest.newBuilder()
              .setModelName(p.spec().vae())
              .addInputs(
                  Tensors.input(
                      "latents",
                      "FP32",
                      1,
                      p.latentChannels(),
                      frames,
                      p.latentHeight(),
                      p.latentWidth()))
              .addRawInputContents(Tensors.concat(parts))
              .addOutputs(Tensors.output(ModelContract.FRAMES))
              .build();
      batches.add(new Plan.Preview(node.get(), List.of(work.job()), work.step(), frames, request));
    }
  }
}
