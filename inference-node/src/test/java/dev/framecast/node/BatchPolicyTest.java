package dev.framecast.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.node.batch.BatchPolicy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The dynamic batcher's decisions, with a manual clock: data in, decision out. */
class BatchPolicyTest {
  private static final long MS = 1_000_000L;

  record Item(int batchSize, String shapeKey, long enqueueNanos) implements BatchPolicy.Queued {}

  private static List<Item> queue(long enqueuedAt, int... sizes) {
    List<Item> items = new ArrayList<>();
    for (int size : sizes) {
      items.add(new Item(size, "s", enqueuedAt));
    }
    return items;
  }

  @Test
  void withoutDynamicBatchingRequestsRunOneAtATime() {
    BatchPolicy policy = new BatchPolicy(false, 8, new int[0], 0);
    assertThat(policy.decide(queue(0, 1, 1, 1), 0).count()).isEqualTo(1);
  }

  @Test
  void emptyQueueWaitsForArrivals() {
    BatchPolicy policy = new BatchPolicy(true, 8, new int[] {4}, 10 * MS);
    assertThat(policy.decide(List.of(), 0).waitNanos()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void waitsUpToTheDelayForAPreferredSizeThenSendsWhatItHas() {
    BatchPolicy policy = new BatchPolicy(true, 8, new int[] {4}, 10 * MS);
    BatchPolicy.Decision early = policy.decide(queue(0, 1, 1), 3 * MS);
    assertThat(early.count()).isZero();
    assertThat(early.waitNanos()).isEqualTo(7 * MS);
    assertThat(policy.decide(queue(0, 1, 1), 10 * MS).count()).isEqualTo(2);
  }

  @Test
  void aPreferredSizeIsSentAtOnce() {
    BatchPolicy policy = new BatchPolicy(true, 8, new int[] {2, 4}, 10 * MS);
    assertThat(policy.decide(queue(0, 1, 1, 1), 0).count()).isEqualTo(2);
    assertThat(policy.decide(queue(0, 1, 1, 1, 1, 1), 0).count()).isEqualTo(4);
  }

  @Test
  void aFullBatchIsSentAtOnceAndNeverExceedsTheMaximum() {
    BatchPolicy policy = new BatchPolicy(true, 8, new int[0], 10 * MS);
    assertThat(policy.decide(queue(0, 4, 4, 4), 0).count()).isEqualTo(2);
    assertThat(policy.decide(queue(0, 3, 3, 3), 0).count()).isEqualTo(2);
  }

  @Test
  void zeroDelaySendsImmediately() {
    BatchPolicy policy = new BatchPolicy(true, 8, new int[] {8}, 0);
    assertThat(policy.decide(queue(0, 1, 1, 1), 0).count()).isEqualTo(3);
  }

  @Test
  void requestsOfAnotherShapeEndTheBatch() {
    BatchPolicy policy = new BatchPolicy(true, 8, new int[] {8}, 10 * MS);
    List<Item> items = new ArrayList<>(queue(0, 1, 1));
    items.add(new Item(1, "other", 0));
    items.add(new Item(1, "s", 0));
    // The batch cannot grow past the other shape, so waiting would only add latency.
    assertThat(policy.decide(items, 0).count()).isEqualTo(2);
  }
}
