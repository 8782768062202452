package dev.framecast.node.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One GPU per node: executions never overlap, and their time is counted. Only lower bounds on time
 * are asserted; a loaded machine may always be slower.
 */
class SimulatedGpuTest {
  private static final long MS = 1_000_000;

  @Test
  void holdsForAtLeastTheLatencyAndCountsIt() throws Exception {
    SimulatedGpu gpu = new SimulatedGpu();
    long start = System.nanoTime();
    long held = gpu.execute(20 * MS);
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(20 * MS);
    assertThat(held).isGreaterThanOrEqualTo(20 * MS);
    assertThat(gpu.busyNanos()).isEqualTo(held);
    assertThat(gpu.busySeconds()).isGreaterThanOrEqualTo(0.020);
    assertThat(gpu.executions()).isEqualTo(1);
  }

  @Test
  void twoModelsOnOneNodeTakeTheSumOfTheirLatencies() throws Exception {
    SimulatedGpu gpu = new SimulatedGpu();
    CountDownLatch go = new CountDownLatch(1);
    long start = System.nanoTime();
    CompletableFuture<Long> dit = CompletableFuture.supplyAsync(() -> execute(gpu, go, 60 * MS));
    CompletableFuture<Long> vae = CompletableFuture.supplyAsync(() -> execute(gpu, go, 40 * MS));
    go.countDown();
    long ditDone = dit.get(10, TimeUnit.SECONDS);
    long vaeDone = vae.get(10, TimeUnit.SECONDS);
    // Whichever went first, the second finished after both latencies: they did not overlap.
    assertThat(Math.max(ditDone, vaeDone) - start).isGreaterThanOrEqualTo(100 * MS);
    assertThat(gpu.executions()).isEqualTo(2);
    assertThat(gpu.busyNanos()).isGreaterThanOrEqualTo(100 * MS);
  }

  @Test
  void separateNodesDoNotWaitForEachOther() throws Exception {
    // The lock is per node: while one node's GPU is held for a minute, another's is free.
    SimulatedGpu busy = new SimulatedGpu();
    SimulatedGpu other = new SimulatedGpu();
    Thread holder = holdInBackground(busy, TimeUnit.SECONDS.toNanos(60));
    try {
      other.execute(MS);
      assertThat(other.executions()).isEqualTo(1);
      assertThat(holder.isAlive()).isTrue();
      assertThat(busy.executions()).isZero();
    } finally {
      holder.interrupt();
      holder.join(10_000);
    }
  }

  @Test
  void anInterruptedHolderReleasesTheGpu() throws Exception {
    SimulatedGpu gpu = new SimulatedGpu();
    Thread holder = holdInBackground(gpu, TimeUnit.SECONDS.toNanos(30));
    holder.interrupt();
    holder.join(10_000);
    assertThat(holder.isAlive()).isFalse();
    assertThat(gpu.executions()).isEqualTo(1);
    // Released: the next execution does not wait 30 s.
    CompletableFuture<Long> next = CompletableFuture.supplyAsync(() -> execute(gpu, null, MS));
    assertThat(next.get(10, TimeUnit.SECONDS)).isPositive();
    assertThatThrownBy(
            () -> {
              Thread.currentThread().interrupt();
              gpu.execute(MS);
            })
        .isInstanceOf(InterruptedException.class);
    assertThat(Thread.interrupted()).isFalse();
  }

  /** Starts a thread that holds the GPU, and returns once it does. */
  private static Thread holdInBackground(SimulatedGpu gpu, long nanos) throws InterruptedException {
    Thread holder =
        new Thread(
            () -> {
              try {
                gpu.execute(nanos);
              } catch (InterruptedException e) {
                // expected: the test ends the hold
              }
            },
            "gpu-holder");
    holder.setDaemon(true);
    holder.start();
    while (holder.isAlive() && holder.getState() != Thread.State.TIMED_WAITING) {
      Thread.sleep(1);
    }
    assertThat(holder.isAlive()).as("the holder is parked on the GPU").isTrue();
    return holder;
  }

  /** Waits for the start signal, executes, and returns System.nanoTime() when done. */
  private static long execute(SimulatedGpu gpu, CountDownLatch go, long nanos) {
    try {
      if (go != null) {
        go.await();
      }
      gpu.execute(nanos);
      return System.nanoTime();
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
