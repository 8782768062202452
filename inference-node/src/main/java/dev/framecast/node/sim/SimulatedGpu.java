package dev.framecast.node.sim;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The one GPU of a simulated node. The text encoder, DiT and VAE of a node share one device, so
 * every model execution holds it, in arrival order (a fair semaphore of one), for its simulated
 * latency; executions of different models on one node therefore never overlap. Counts the time it
 * was held and the executions. Thread-safe.
 */
public final class SimulatedGpu {
  private final Semaphore device = new Semaphore(1, true);
  private final LongAdder busyNanos = new LongAdder();
  private final LongAdder executions = new LongAdder();

  /**
   * Waits for the GPU, then holds it for {@code nanos}; returns the nanoseconds it was held (a
   * little more than asked: the timer's wake-up is late by tens of microseconds). Parks rather than
   * spins, so a thousand simulated nodes cost no CPU while "computing".
   *
   * @throws InterruptedException when the thread is interrupted while waiting or holding; the GPU
   *     is released and the time held so far is counted
   */
  public long execute(long nanos) throws InterruptedException {
    device.acquire();
    long start = System.nanoTime();
    long held = 0;
    try {
      long deadline = start + nanos;
      for (long left = nanos; left > 0; left = deadline - System.nanoTime()) {
        LockSupport.parkNanos(this, left);
        if (Thread.interrupted()) {
          throw new InterruptedException("interrupted while holding the simulated GPU");
        }
      }
    } finally {
      held = System.nanoTime() - start;
      busyNanos.add(held);
      executions.increment();
      device.release();
    }
    return held;
  }

  /** Total time the GPU was held, over all models. */
  public long busyNanos() {
    return busyNanos.sum();
  }

  /** {@link #busyNanos()} in seconds, as the busy-time metric reports it. */
  public double busySeconds() {
    return busyNanos.sum() / 1e9;
  }

  /** Model executions that held the GPU (one per batch). */
  public long executions() {
    return executions.sum();
  }
}
