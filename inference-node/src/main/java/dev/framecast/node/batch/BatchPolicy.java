package dev.framecast.node.batch;

import dev.framecast.inference.v2.ModelConfig;
import dev.framecast.inference.v2.ModelDynamicBatching;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Decides when queued requests form a batch, following Triton's dynamic batcher: requests with the
 * same non-batch shape are merged up to {@code max_batch_size}; a batch of a preferred size is sent
 * at once; otherwise the oldest request waits at most {@code max_queue_delay_microseconds}. Returns
 * data ("send the first N" or "wait this long"); it never sleeps.
 */
public final class BatchPolicy {

  /** A queued request as the policy sees it. */
  public interface Queued {
    int batchSize();

    String shapeKey();

    long enqueueNanos();
  }

  /**
   * @param count requests to take from the head of the queue (0 = none now)
   * @param waitNanos when count is 0: how long until the decision may change (Long.MAX_VALUE = only
   *     when the queue changes)
   */
  public record Decision(int count, long waitNanos) {
    static Decision dispatch(int count) {
      return new Decision(count, 0);
    }

    static Decision waitFor(long nanos) {
      return new Decision(0, nanos);
    }
  }

  private final boolean dynamic;
  private final int maxBatchSize;
  private final int[] preferred;
  private final long maxDelayNanos;

  public BatchPolicy(boolean dynamic, int maxBatchSize, int[] preferred, long maxDelayNanos) {
    this.dynamic = dynamic && maxBatchSize > 0;
    this.maxBatchSize = maxBatchSize;
    this.preferred =
        Arrays.stream(preferred).filter(p -> p > 0 && p <= maxBatchSize).sorted().toArray();
    this.maxDelayNanos = Math.max(0, maxDelayNanos);
  }

  public static BatchPolicy fromConfig(ModelConfig config) {
    if (!config.hasDynamicBatching()) {
      return new BatchPolicy(false, config.getMaxBatchSize(), new int[0], 0);
    }
    ModelDynamicBatching batching = config.getDynamicBatching();
    return new BatchPolicy(
        true,
        config.getMaxBatchSize(),
        batching.getPreferredBatchSizeList().stream().mapToInt(Integer::intValue).toArray(),
        TimeUnit.MICROSECONDS.toNanos(batching.getMaxQueueDelayMicroseconds()));
  }

  public boolean dynamic() {
    return dynamic;
  }

  public Decision decide(List<? extends Queued> queue, long nowNanos) {
    if (queue.isEmpty()) {
      return Decision.waitFor(Long.MAX_VALUE);
    }
    if (!dynamic) {
      return Decision.dispatch(1);
    }
    Queued head = queue.get(0);
    int total = 0;
    int count = 0;
    int bestPreferredCount = 0;
    for (Queued request : queue) {
      if (!request.shapeKey().equals(head.shapeKey())
          || total + request.batchSize() > maxBatchSize) {
        break;
      }
      total += request.batchSize();
      count++;
      if (Arrays.binarySearch(preferred, total) >= 0) {
        bestPreferredCount = count;
      }
    }
    if (count == 0) {
      // The head alone exceeds max_batch_size; the decoder prevents this, but never stall.
      return Decision.dispatch(1);
    }
    boolean full = total == maxBatchSize;
    boolean cannotGrow = count < queue.size();
    if (full || (cannotGrow && bestPreferredCount == 0)) {
      return Decision.dispatch(count);
    }
    if (bestPreferredCount > 0) {
      return Decision.dispatch(bestPreferredCount);
    }
    long waited = nowNanos - head.enqueueNanos();
    if (waited >= maxDelayNanos) {
      return Decision.dispatch(count);
    }
    return Decision.waitFor(maxDelayNanos - waited);
  }
}
