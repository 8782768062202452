package dev.framecast.scheduler.engine;

import com.google.protobuf.ByteString;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.pipeline.Pipeline;
import dev.framecast.scheduler.queue.ReadyQueue;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * The one owner of where every live job is: waiting for text, encoding it, ready, in a node's
 * active set, in flight, waiting for the VAE, rendering, and just ended; with the counts derived
 * from them (running per tenant, not yet started). Jobs move only through its methods, each of
 * which checks the state the job leaves and throws {@link IllegalStateException} (naming the job
 * and what was expected) when it is not there, so a wrong move fails at the move, not ticks later
 * as a leaked slot. Loop thread only; nothing here sends, waits or appends events: moves that
 * clients must hear about (a job's first start, its end) are left in {@link #drainStarted} and
 * {@link #drainEnded} for the loop to announce.
 */
final class JobLines implements Seats {
  private static final java.util.logging.Logger LOG =
      java.util.logging.Logger.getLogger(JobLines.class.getName());

  private final Deque<Job> waitingForText = new ArrayDeque<>();

  /** Prompts being encoded now (by {@link TextCache#key}), and the jobs waiting on each. */
  private final Map<String, List<Job>> encoding = new HashMap<>();

  private final ReadyQueue ready;
  private final Map<Node, List<Job>> active = new LinkedHashMap<>();
  private final Set<Job> inFlight = new HashSet<>();
  private final Deque<Job> toDecode = new ArrayDeque<>();
  private final Deque<PreviewWork> toPreview = new ArrayDeque<>();
  private final List<Start> started = new ArrayList<>();
  private final List<Job> justEnded = new ArrayList<>();

  /** Jobs running (in an active set, decoding or rendering) per tenant: max_concurrent_jobs. */
  private final Map<String, Integer> running = new HashMap<>();

  private final ToIntFunction<String> maxConcurrent;

  /** Jobs taken in that have neither started nor ended. */
  private int notStarted;

  /** A preview to decode: the job, the step, and its prediction after that step. */
  record PreviewWork(Job job, int step, ByteString denoised) {}

  /** A job's first join: the node it started on. */
  record Start(Job job, Node node) {}

  /** What the planner makes of a job waiting for its text. */
  enum Triage {
    /** Stays in line (no encoder now, or its prompts go in a later batch). */
    WAIT,
    /** Its text is cached: it is ready now. */
    READY,
    /** Its missing prompts are in this tick's encoder batch or already being encoded. */
    ENCODING
  }

  JobLines(ReadyQueue ready, ToIntFunction<String> maxConcurrent) {
    this.ready = ready;
    this.maxConcurrent = maxConcurrent;
  }

  // ---- taking jobs in, and their text ----

  /** Takes in an admitted job: it waits for its text. Returns its place among unstarted jobs. */
  int enqueue(Job job) {
    expect(job, JobPhase.QUEUED);
    if (job.started() != null) {
      throw illegal(job, "enqueued after it started");
    }
    waitingForText.addLast(job);
    return notStarted++;
  }

  /**
   * Walks the jobs waiting for text in order and moves each as {@code triage} says: READY to the
   * ready queue (its text set by the caller), ENCODING to ENCODING_TEXT (its prompts registered
   * with {@link #awaitText}), WAIT stays.
   */
  void triageWaitingForText(java.util.function.Function<Job, Triage> triage) {
    for (Iterator<Job> it = waitingForText.iterator(); it.hasNext(); ) {
      Job job = it.next();
      if (job.phase() != JobPhase.QUEUED) {
        // Cannot happen (ending takes a job out of every line); never let it stop the others.
        it.remove();
        LOG.severe("job " + job.id() + " was waiting for text while " + job.phase());
        continue;
      }
      switch (triage.apply(job)) {
        case WAIT -> {}
        case READY -> {
          requireText(job);
          it.remove();
          job.transition(JobPhase.READY);
          ready.add(job, false);
        }
        case ENCODING -> {
          it.remove();
          job.transition(JobPhase.ENCODING_TEXT);
        }
      }
    }
  }

  /** True while the prompt (by {@link TextCache#key}) is in an encoder request. */
  boolean textPending(String key) {
    return encoding.containsKey(key);
  }

  /** Marks the prompt as in an encoder request ({@code job}, if any, waits on it). */
  void awaitText(String key, Job job) {
    List<Job> waiting = encoding.computeIfAbsent(key, k -> new ArrayList<>());
    if (job != null && !waiting.contains(job)) {
      waiting.add(job);
    }
  }

  /** The prompt's request came back: the jobs that waited on it (it is no longer pending). */
  List<Job> textArrived(String key) {
    List<Job> jobs = encoding.remove(key);
    return jobs == null ? List.of() : jobs;
  }

  /** A job's text is in: from ENCODING_TEXT to the back of the ready queue. */
  void textReady(Job job) {
    expect(job, JobPhase.ENCODING_TEXT);
    requireText(job);
    job.transition(JobPhase.READY);
    ready.add(job, false);
  }

  /** Its encoder request failed and is retried: from ENCODING_TEXT to the head of the line. */
  void retryText(Job job) {
    expect(job, JobPhase.ENCODING_TEXT);
    job.transition(JobPhase.QUEUED);
    waitingForText.addFirst(job);
  }

  // ---- active sets ----

  @Override
  public int readyCount() {
    return ready.size();
  }

  @Override
  public Job peekReady(Predicate<String> eligible, Predicate<Job> usable) {
    return ready.peek(eligible, usable);
  }

  @Override
  public boolean belowConcurrency(String tenant, int pending) {
    return running.getOrDefault(tenant, 0) + pending < maxConcurrent.applyAsInt(tenant);
  }

  @Override
  public List<Job> activeOn(Node node) {
    List<Job> jobs = active.get(node);
    return jobs == null ? List.of() : Collections.unmodifiableList(jobs);
  }

  @Override
  public double weight(String tenant) {
    return ready.weight(tenant);
  }

  @Override
  public Set<Node> activeNodes() {
    return Collections.unmodifiableSet(active.keySet());
  }

  @Override
  public boolean inFlight(Job job) {
    return inFlight.contains(job);
  }

  /**
   * A ready job joins the node's active set: out of the ready queue, DENOISING, counted as running;
   * its first join is its start (announced through {@link #drainStarted}).
   */
  @Override
  public void join(Job job, Node node, Instant now) {
    expect(job, JobPhase.READY);
    if (!ready.take(job)) {
      throw illegal(job, "joins node " + node.name() + " but is not in the ready queue");
    }
    job.transition(JobPhase.DENOISING);
    active.computeIfAbsent(node, n -> new ArrayList<>()).add(job);
    running.merge(job.tenant(), 1, Integer::sum);
    if (job.started() == null) {
      notStarted--;
      job.markStarted(now);
      started.add(new Start(job, node));
    }
  }

  /**
   * A job between steps leaves the node's active set for the head of the ready queue (preempted,
   * evicted from a node that can no longer run it, or its step failed and is retried).
   */
  @Override
  public void requeue(Job job, Node node) {
    leave(job, node);
    job.transition(JobPhase.READY);
    ready.add(job, true);
  }

  /** Its last step is done: out of the active set, to the VAE's line (still running). */
  void denoised(Job job, Node node) {
    leave(job, node);
    job.transition(JobPhase.DECODING);
    running.merge(job.tenant(), 1, Integer::sum);
    toDecode.addLast(job);
  }

  private void leave(Job job, Node node) {
    expect(job, JobPhase.DENOISING);
    if (inFlight.contains(job)) {
      throw illegal(job, "leaves node " + node.name() + " with a request in flight");
    }
    List<Job> jobs = active.get(node);
    if (jobs == null || !jobs.remove(job)) {
      throw illegal(job, "is not in node " + node.name() + "'s active set");
    }
    running.merge(job.tenant(), -1, Integer::sum);
  }

  // ---- requests in flight ----

  /** The jobs of a request about to be sent: none may already have one in flight. */
  void markInFlight(List<Job> jobs) {
    for (Job job : jobs) {
      if (!inFlight.add(job)) {
        throw illegal(job, "already has a request in flight");
      }
    }
  }

  /** The request of these jobs came back (answer or error). */
  void landed(List<Job> jobs) {
    for (Job job : jobs) {
      if (!inFlight.remove(job)) {
        throw illegal(job, "had no request in flight");
      }
    }
  }

  // ---- decoding, previews, rendering ----

  boolean decodeWaiting() {
    return !toDecode.isEmpty();
  }

  /** The pipeline of the job first in the VAE's line (null when empty). */
  Pipeline nextDecodePipeline() {
    Job first = toDecode.peekFirst();
    return first == null ? null : first.pipeline();
  }

  /**
   * Takes up to {@code max} of the pipeline's jobs from the VAE's line and marks them in flight.
   */
  List<Job> takeForDecode(Pipeline pipeline, int max) {
    List<Job> jobs = new ArrayList<>();
    for (Iterator<Job> it = toDecode.iterator(); it.hasNext() && jobs.size() < max; ) {
      Job job = it.next();
      if (job.pipeline() == pipeline) {
        it.remove();
        jobs.add(job);
      }
    }
    markInFlight(jobs);
    return jobs;
  }

  /** Its VAE request failed and is retried: back to the head of the VAE's line. */
  void retryDecode(Job job) {
    expectIdle(job, JobPhase.DECODING);
    toDecode.addFirst(job);
  }

  /** Its frames are decoded: rendering off the loop (ENCODING_VIDEO), still running. */
  void rendering(Job job) {
    expectIdle(job, JobPhase.DECODING);
    job.transition(JobPhase.ENCODING_VIDEO);
  }

  void addPreview(Job job, int step, ByteString denoised) {
    if (job.phase().isTerminal()) {
      throw illegal(job, "previewed after it ended");
    }
    toPreview.addLast(new PreviewWork(job, step, denoised));
  }

  PreviewWork peekPreview() {
    return toPreview.peekFirst();
  }

  PreviewWork pollPreview() {
    return toPreview.pollFirst();
  }

  // ---- ending ----

  /**
   * Ends a job from any phase with nothing in flight: out of every line, its running slot freed,
   * its terminal phase and end time set; announced through {@link #drainEnded}. A job whose prompts
   * are still being encoded may end: the text that comes back finds it ended and passes it by.
   */
  void end(Job job, JobPhase terminal, Instant at) {
    if (!terminal.isTerminal()) {
      throw new IllegalArgumentException(terminal + " is not a terminal phase");
    }
    if (job.phase().isTerminal()) {
      throw illegal(job, "ended twice (" + job.phase() + ", then " + terminal + ")");
    }
    if (inFlight.contains(job)) {
      throw illegal(job, "ends with a request in flight");
    }
    switch (job.phase()) {
      case QUEUED -> waitingForText.remove(job);
      case READY -> ready.remove(job);
      case DENOISING -> {
        for (List<Job> jobs : active.values()) {
          if (jobs.remove(job)) {
            running.merge(job.tenant(), -1, Integer::sum);
          }
        }
      }
      case DECODING -> {
        toDecode.remove(job);
        running.merge(job.tenant(), -1, Integer::sum);
      }
      case ENCODING_VIDEO -> running.merge(job.tenant(), -1, Integer::sum); // in no line

      default -> {}
    }
    toPreview.removeIf(w -> w.job() == job);
    if (job.started() == null) {
      notStarted--;
    }
    job.transition(terminal);
    job.markFinished(at);
    justEnded.add(job);
  }

  /** Jobs that started since the last call (their started events are due). */
  List<Start> drainStarted() {
    return drain(started);
  }

  /** Jobs that ended since the last call (the engine retires them). */
  List<Job> drainEnded() {
    return drain(justEnded);
  }

  private static <T> List<T> drain(List<T> jobs) {
    if (jobs.isEmpty()) {
      return List.of();
    }
    List<T> copy = List.copyOf(jobs);
    jobs.clear();
    return copy;
  }

  // ---- reading ----

  /** Jobs taken in that have neither started nor ended. */
  int notStarted() {
    return notStarted;
  }

  /** Jobs running for the tenant (active, decoding or rendering). */
  int running(String tenant) {
    return running.getOrDefault(tenant, 0);
  }

  /** Whether any job waits on a node: for text, a place in an active set, or the VAE. */
  boolean anyWaiting() {
    return ready.size() > 0 || !waitingForText.isEmpty() || !toDecode.isEmpty();
  }

  /** The jobs waiting for text, in line. */
  void forEachWaitingForText(Consumer<Job> action) {
    waitingForText.forEach(action);
  }

  /** Jobs ahead of a ready job in the ready queue's order (an estimate for a fair queue). */
  int readyPosition(Job job) {
    return ready.position(job);
  }

  /** Charges a tenant's GPU-seconds to the ready queue's order. */
  void charge(String tenant, double gpuSeconds) {
    ready.charge(tenant, gpuSeconds);
  }

  /**
   * Forgets the active sets of nodes the pool no longer has, once they are empty (their jobs are
   * evicted first). Returns the nodes whose measurements are still needed: current or holding jobs.
   */
  Set<Node> retainNodes(Collection<Node> current) {
    Set<Node> keep = new HashSet<>(current);
    active.entrySet().removeIf(e -> !keep.contains(e.getKey()) && e.getValue().isEmpty());
    keep.addAll(active.keySet());
    return keep;
  }

  // ---- checks ----

  private static void expect(Job job, JobPhase phase) {
    if (job.phase() != phase) {
      throw illegal(job, "is " + job.phase() + ", expected " + phase);
    }
  }

  private void expectIdle(Job job, JobPhase phase) {
    expect(job, phase);
    if (inFlight.contains(job)) {
      throw illegal(job, "has a request in flight");
    }
  }

  private static void requireText(Job job) {
    if (!job.encoded()) {
      throw illegal(job, "is made ready without its text");
    }
  }

  private static IllegalStateException illegal(Job job, String what) {
    return new IllegalStateException("job " + job.id() + " " + what);
  }
}
