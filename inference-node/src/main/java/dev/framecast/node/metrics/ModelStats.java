package dev.framecast.node.metrics;

import dev.framecast.inference.v2.InferBatchStatistics;
import dev.framecast.inference.v2.InferStatistics;
import dev.framecast.inference.v2.ModelStatistics;
import dev.framecast.inference.v2.StatisticDuration;
import dev.framecast.node.infer.InferenceException;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One model version's statistics, as Triton's ModelStatistics reports them, mirrored into the
 * node's Prometheus metrics. Updated from gRPC and executor threads; read by the statistics RPC.
 */
public final class ModelStats {
  private final String model;
  private final String version;
  private final NodeMetrics metrics;
  private final Duration success = new Duration();
  private final Duration fail = new Duration();
  private final Duration queue = new Duration();
  private final Duration computeInput = new Duration();
  private final Duration computeInfer = new Duration();
  private final Duration computeOutput = new Duration();
  private final LongAdder inferenceCount = new LongAdder();
  private final LongAdder executionCount = new LongAdder();
  private final AtomicLong lastInferenceMillis = new AtomicLong();
  private final Map<Integer, BatchDurations> batches = new ConcurrentSkipListMap<>();

  public ModelStats(String model, long version, NodeMetrics metrics) {
    this.model = model;
    this.version = Long.toString(version);
    this.metrics = metrics;
    metrics.register(model, this.version);
  }

  /** A request finished successfully: its whole duration and its time in the queue. */
  public void success(long requestNanos, long queueNanos) {
    success.add(requestNanos);
    queue.add(queueNanos);
    lastInferenceMillis.set(System.currentTimeMillis());
    metrics.success(model, version, requestNanos, queueNanos);
  }

  public void failure(InferenceException.Reason reason, long requestNanos) {
    fail.add(requestNanos);
    metrics.failure(model, version, reason, requestNanos);
  }

  /** One ONNX Runtime execution of a batch. */
  public void execution(int batchSize, long inputNanos, long inferNanos, long outputNanos) {
    executionCount.increment();
    inferenceCount.add(batchSize);
    computeInput.add(inputNanos);
    computeInfer.add(inferNanos);
    computeOutput.add(outputNanos);
    batches
        .computeIfAbsent(batchSize, b -> new BatchDurations())
        .add(inputNanos, inferNanos, outputNanos);
    metrics.execution(model, version, batchSize, inputNanos, inferNanos, outputNanos);
  }

  public void pending(int delta) {
    metrics.pending(model, version, delta);
  }

  public ModelStatistics snapshot() {
    ModelStatistics.Builder stats =
        ModelStatistics.newBuilder()
            .setName(model)
            .setVersion(version)
            .setLastInference(lastInferenceMillis.get())
            .setInferenceCount(inferenceCount.sum())
            .setExecutionCount(executionCount.sum())
            .setInferenceStats(
                InferStatistics.newBuilder()
                    .setSuccess(success.snapshot())
                    .setFail(fail.snapshot())
                    .setQueue(queue.snapshot())
                    .setComputeInput(computeInput.snapshot())
                    .setComputeInfer(computeInfer.snapshot())
                    .setComputeOutput(computeOutput.snapshot())
                    .setCacheHit(StatisticDuration.getDefaultInstance())
                    .setCacheMiss(StatisticDuration.getDefaultInstance()));
    batches.forEach(
        (size, durations) ->
            stats.addBatchStats(
                InferBatchStatistics.newBuilder()
                    .setBatchSize(size)
                    .setComputeInput(durations.input.snapshot())
                    .setComputeInfer(durations.infer.snapshot())
                    .setComputeOutput(durations.output.snapshot())));
    return stats.build();
  }

  private static final class Duration {
    private final LongAdder count = new LongAdder();
    private final LongAdder nanos = new LongAdder();

    void add(long ns) {
      count.increment();
      nanos.add(ns);
    }

    StatisticDuration snapshot() {
      return StatisticDuration.newBuilder().setCount(count.sum()).setNs(nanos.sum()).build();
    }
  }

  private static final class BatchDurations {
    private final Duration input = new Duration();
    private final Duration infer = new Duration();
    private final Duration output = new Duration();

    void add(long inputNanos, long inferNanos, long outputNanos) {
      input.add(inputNanos);
      infer.add(inferNanos);
      output.add(outputNanos);
    }
  }
}
