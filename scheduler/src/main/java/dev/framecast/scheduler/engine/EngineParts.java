package dev.framecast.scheduler.engine;

import dev.framecast.scheduler.batch.BatchSizer;
import dev.framecast.scheduler.node.NodePool;
import dev.framecast.scheduler.queue.ArrivalQueue;
import dev.framecast.scheduler.queue.FairQueue;
import dev.framecast.scheduler.queue.ReadyQueue;
import java.time.Clock;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;
import java.util.function.ToIntFunction;

/**
 * The loop's parts, wired once: the one owner of job state ({@link JobLines}), what is learned
 * about nodes, the planner (schedule), the outcomes (apply) and endings, and the renders that carry
 * out effects. {@link Engine} runs them on its loop thread; tests drive them by hand.
 */
record EngineParts(
    JobLines lines,
    TextCache texts,
    NodeStats stats,
    StepSizing sizing,
    Planner planner,
    Outcomes outcomes,
    Endings endings,
    Renders renders,
    Events events,
    Checkpoints checkpoints) {

  /** Text embeddings kept per engine. */
  static final int TEXT_CACHE_SIZE = 4096;

  /**
   * @param ready the ready queue the config's policy serves from ({@link #readyQueue})
   * @param maxConcurrent a tenant's max concurrent (running) jobs
   * @param workers where renders run (never the loop)
   * @param inbox where renders report back to the loop
   * @param journal where job changes are reported for the job store
   */
  static EngineParts wire(
      EngineConfig config,
      NodePool pool,
      ReadyQueue ready,
      ToIntFunction<String> maxConcurrent,
      UsageSink usage,
      ClipRenderer renderer,
      ClipStore store,
      Executor workers,
      Consumer<Command> inbox,
      Clock clock,
      Journal journal) {
    Events events = new Events(clock, journal);
    JobLines lines = new JobLines(ready, maxConcurrent);
    TextCache texts = new TextCache(TEXT_CACHE_SIZE);
    NodeStats stats = new NodeStats(config.stepProfile());
    StepSizing sizing =
        new StepSizing(
            stats,
            new BatchSizer(config.throughputFraction(), config.latencyTarget().toMillis() / 1000.0),
            config.maxInFlightPerNode());
    ActiveSetRule rule = ActiveSetRule.of(config.policy(), lines, ready, sizing, pool);
    Planner planner = new Planner(lines, texts, stats, sizing, rule, pool, config, events);
    // Only a job store can take a job back after a restart: without one a checkpoint is dead
    // weight.
    Checkpoints checkpoints =
        new Checkpoints(store, journal.durable() ? config.checkpointEvery() : 0);
    Endings endings = new Endings(lines, events, usage, config.clipChunkBytes(), checkpoints);
    Outcomes outcomes =
        new Outcomes(
            lines, texts, stats, endings, events, usage, config.maxAttempts(), checkpoints);
    return new EngineParts(
        lines,
        texts,
        stats,
        sizing,
        planner,
        outcomes,
        endings,
        new Renders(renderer, store, workers, inbox),
        events,
        checkpoints);
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

  /** Applies a finished request and starts the renders it asks for. */
  void apply(Command.Done done) {
    outcomes.apply(done).forEach(renders::start);
  }
}
