package dev.framecast.scheduler.engine;

import com.google.protobuf.ByteString;
import dev.framecast.scheduler.batch.StepProfile;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.queue.ArrivalQueue;
import dev.framecast.scheduler.queue.FairQueue;
import dev.framecast.scheduler.queue.ReadyQueue;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import java.util.function.ToIntFunction;

/**
 * Everything the loop thread owns between ticks: the waiting lines of each phase, the active set of
 * each node, what is in flight, the text-embedding cache and the step profiles. No other thread
 * touches it.
 */
final class EngineState {
  /** Jobs waiting for text encoding. */
  final Deque<Job> toEncode = new ArrayDeque<>();

  /** Encoded jobs waiting for a place in an active set, in the policy's order. */
  final ReadyQueue ready;

  /** Each node's active set: the jobs it steps. */
  final Map<Node, List<Job>> active = new LinkedHashMap<>();

  /** Jobs with a request in flight (no other request may be formed for them). */
  final Set<Job> inFlight = new HashSet<>();

  /** Jobs whose denoising finished, waiting for the VAE. */
  final Deque<Job> toDecode = new ArrayDeque<>();

  /** Previews to decode: job, step, and its current prediction. */
  final Deque<PreviewWork> toPreview = new ArrayDeque<>();

  /** Prompts being encoded now, and the jobs waiting on each. */
  final Map<String, List<Job>> encoding = new HashMap<>();

  /** Step latency per node, learned from observed DiT batches. */
  final Map<Node, StepProfile> profiles = new HashMap<>();

  /** A node's reported compute times and the profile made of them. */
  record ComputeProfile(Map<Integer, Double> source, StepProfile profile) {}

  /** Per node: its compute times as a profile, remade when the node reports new ones. */
  final Map<Node, ComputeProfile> computeProfiles = new HashMap<>();

  /** Per node: when its last DiT batch came back ({@link System#nanoTime}). */
  final Map<Node, Long> lastStepEnd = new HashMap<>();

  /** Per node: when its last DiT batch went out with no other in flight. */
  final Map<Node, java.time.Instant> lastLoneStep = new HashMap<>();

  /**
   * Per node: the time between consecutive lone DiT sends (moving average), i.e. a whole step cycle
   * as the node sees it: compute, both transfers, and the loop's turnaround between a result and
   * the next request, which the round trip alone does not show.
   */
  final Map<Node, Double> stepCycleSeconds = new HashMap<>();

  /**
   * Forgets what it keeps per node for nodes the pool no longer has (removed after leaving
   * discovery), once no job is left in their active sets (those are evicted first, the node being
   * not ready).
   */
  void retainNodes(java.util.Collection<Node> current) {
    java.util.Set<Node> keep = new java.util.HashSet<>(current);
    active.entrySet().removeIf(e -> !keep.contains(e.getKey()) && e.getValue().isEmpty());
    for (Map<Node, ?> perNode :
        List.of(profiles, computeProfiles, lastStepEnd, lastLoneStep, stepCycleSeconds)) {
      perNode.keySet().removeIf(node -> !keep.contains(node) && !active.containsKey(node));
    }
  }

  /**
   * Jobs submitted that have neither started nor ended: queued, waiting for text, or ready (the
   * place in line a new job gets). Counted up when the loop takes a submit, down when a job starts
   * or ends unstarted.
   */
  int notStarted;

  /** Jobs that ended since the loop last looked (the engine moves them out of its live set). */
  final java.util.List<Job> justEnded = new java.util.ArrayList<>();

  /** Jobs running (in active sets or decoding) per tenant, for max_concurrent_jobs. */
  final Map<String, Integer> running = new HashMap<>();

  final TextCache textCache;
  final ToIntFunction<String> maxConcurrent;

  /** When no healthy node could run some waiting job (null when one could). */
  Instant noNodeSince;

  record PreviewWork(Job job, int step, ByteString denoised) {}

  private final Map<Integer, Double> configuredProfile;

  EngineState(
      ToDoubleFunction<String> weights, ToIntFunction<String> maxConcurrent, int cacheSize) {
    this(weights, maxConcurrent, cacheSize, Map.of());
  }

  EngineState(
      ToDoubleFunction<String> weights,
      ToIntFunction<String> maxConcurrent,
      int cacheSize,
      Map<Integer, Double> configuredProfile) {
    this(new FairQueue(weights), maxConcurrent, cacheSize, configuredProfile);
  }

  EngineState(
      ReadyQueue ready,
      ToIntFunction<String> maxConcurrent,
      int cacheSize,
      Map<Integer, Double> configuredProfile) {
    this.configuredProfile = configuredProfile;
    this.ready = ready;
    this.maxConcurrent = maxConcurrent;
    this.textCache = new TextCache(cacheSize);
  }

  /**
   * The ready queue a policy serves from: fair share for continuous batching, arrival order for the
   * baselines.
   */
  static ReadyQueue readyQueue(
      SchedulingPolicy policy, ToDoubleFunction<String> weights, Clock clock) {
    return policy instanceof SchedulingPolicy.Continuous
        ? new FairQueue(weights)
        : new ArrivalQueue(clock);
  }

  boolean belowConcurrency(String tenant) {
    return belowConcurrency(tenant, 0);
  }

  /** True when the tenant may start one more job besides {@code pending} it is about to start. */
  boolean belowConcurrency(String tenant, int pending) {
    return running.getOrDefault(tenant, 0) + pending < maxConcurrent.applyAsInt(tenant);
  }

  void addRunning(String tenant, int delta) {
    running.merge(tenant, delta, Integer::sum);
  }

  List<Job> activeOn(Node node) {
    return active.computeIfAbsent(node, n -> new ArrayList<>());
  }

  StepProfile profile(Node node) {
    return profiles.computeIfAbsent(node, n -> new StepProfile(configuredProfile));
  }

  /** An LRU cache of text embeddings by prompt (with the pipeline's text encoder). */
  static final class TextCache extends LinkedHashMap<String, Job.TextEmbedding> {
    private static final long serialVersionUID = 1L;
    private final int capacity;

    TextCache(int capacity) {
      super(16, 0.75f, true);
      this.capacity = capacity;
    }

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Job.TextEmbedding> eldest) {
      return size() > capacity;
    }
  }
}
