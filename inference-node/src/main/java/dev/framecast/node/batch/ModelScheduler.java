package dev.framecast.node.batch;

import dev.framecast.node.infer.DecodedRequest;
import dev.framecast.node.infer.Errors;
import dev.framecast.node.infer.InferenceException;
import dev.framecast.node.metrics.ModelStats;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * One model version's queue and batcher. Requests wait in a bounded FIFO queue; a batcher thread
 * asks the {@link BatchPolicy} what to do whenever the queue changes or an instance frees up, and
 * hands each batch to an idle instance's executor thread. The lock is held only to change the
 * queue; rejected, expired and cancelled requests are completed after it is released.
 */
public final class ModelScheduler implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ModelScheduler.class.getName());

  private final String label;
  private final BatchPolicy policy;
  private final int maxQueueSize;
  private final long defaultTimeoutNanos;
  private final boolean allowTimeoutOverride;
  private final BatchRunner runner;
  private final ModelStats stats;
  private final LongSupplier clock;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<PendingRequest> queue = new ArrayDeque<>();
  private final ArrayDeque<Integer> idleInstances = new ArrayDeque<>();
  private final ExecutorService executors;
  private final Thread batcher;
  private boolean running = true;

  /**
   * @param label "model:version", for thread names and logs
   * @param maxQueueSize bound of the queue (requests); past it, UNAVAILABLE
   * @param defaultTimeoutNanos queue timeout of requests (0 = none)
   * @param allowTimeoutOverride whether a request's own timeout may shorten the default (Triton's
   *     allow_timeout_override)
   * @param instances model instances (one ONNX Runtime session each)
   */
  public ModelScheduler(
      String label,
      BatchPolicy policy,
      int maxQueueSize,
      long defaultTimeoutNanos,
      boolean allowTimeoutOverride,
      int instances,
      BatchRunner runner,
      ModelStats stats,
      LongSupplier clock) {
    this.label = label;
    this.policy = policy;
    this.maxQueueSize = maxQueueSize;
    this.defaultTimeoutNanos = defaultTimeoutNanos;
    this.allowTimeoutOverride = allowTimeoutOverride;
    this.runner = runner;
    this.stats = stats;
    this.clock = clock;
    for (int i = 0; i < instances; i++) {
      idleInstances.add(i);
    }
    this.executors =
        Executors.newFixedThreadPool(
            instances,
            r -> {
              Thread t = new Thread(r, "framecast-instance-" + label);
              t.setDaemon(true);
              return t;
            });
    this.batcher = new Thread(this::loop, "framecast-batcher-" + label);
    batcher.setDaemon(true);
    batcher.start();
  }

  /**
   * Queues a request. Throws InferenceException (UNAVAILABLE) when the queue is full or the
   * scheduler is stopping; otherwise the returned request's future completes later.
   */
  public PendingRequest submit(DecodedRequest request) {
    long now = clock.getAsLong();
    long timeoutNanos = defaultTimeoutNanos;
    if (allowTimeoutOverride && request.timeoutMicros() > 0) {
      long requested = TimeUnit.MICROSECONDS.toNanos(request.timeoutMicros());
      timeoutNanos = timeoutNanos > 0 ? Math.min(timeoutNanos, requested) : requested;
    }
    long deadline = timeoutNanos > 0 ? now + timeoutNanos : Long.MAX_VALUE;
    PendingRequest pending = new PendingRequest(request, now, deadline);
    lock.lock();
    try {
      if (!running) {
        throw Errors.stopping(request.id());
      }
      if (queue.size() >= maxQueueSize) {
        throw Errors.queueFull(request.id());
      }
      queue.addLast(pending);
      changed.signal();
    } finally {
      lock.unlock();
    }
    stats.pending(1);
    return pending;
  }

  /**
   * Drops a request that is still queued (its RPC was cancelled); completes it as CANCELLED. A
   * request already executing finishes, and its result is discarded by the caller.
   */
  public void cancel(PendingRequest pending) {
    boolean removed;
    lock.lock();
    try {
      removed = queue.remove(pending);
      if (removed) {
        changed.signal();
      }
    } finally {
      lock.unlock();
    }
    if (removed) {
      stats.pending(-1);
      fail(pending, Errors.cancelled());
    }
  }

  public int queued() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  private void loop() {
    while (true) {
      List<PendingRequest> expired = new ArrayList<>();
      List<PendingRequest> batch = null;
      int instance = -1;
      lock.lock();
      try {
        if (!running) {
          return;
        }
        long now = clock.getAsLong();
        long nextDeadline = expire(now, expired);
        if (!queue.isEmpty() && !idleInstances.isEmpty()) {
          BatchPolicy.Decision decision = policy.decide(new ArrayList<>(queue), now);
          if (decision.count() > 0) {
            batch = new ArrayList<>(decision.count());
            for (int i = 0; i < decision.count(); i++) {
              PendingRequest request = queue.pollFirst();
              request.markDispatched(now);
              batch.add(request);
            }
            instance = idleInstances.pollFirst();
          } else if (expired.isEmpty()) {
            awaitNanos(Math.min(decision.waitNanos(), nextDeadline - now));
          }
        } else if (expired.isEmpty()) {
          awaitNanos(queue.isEmpty() ? Long.MAX_VALUE : nextDeadline - now);
        }
      } finally {
        lock.unlock();
      }
      for (PendingRequest request : expired) {
        stats.pending(-1);
        fail(request, Errors.timeout());
      }
      if (batch != null) {
        dispatch(instance, batch);
      }
    }
  }

  /** Removes requests whose queue timeout passed; returns the earliest remaining deadline. */
  private long expire(long now, List<PendingRequest> expired) {
    long next = Long.MAX_VALUE;
    for (Iterator<PendingRequest> it = queue.iterator(); it.hasNext(); ) {
      PendingRequest request = it.next();
      if (request.deadlineNanos() <= now) {
        it.remove();
        expired.add(request);
      } else {
        next = Math.min(next, request.deadlineNanos());
      }
    }
    return next;
  }

  private void awaitNanos(long nanos) {
    try {
      if (nanos == Long.MAX_VALUE) {
        changed.await();
      } else if (nanos > 0) {
        changed.awaitNanos(nanos);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  private void dispatch(int instance, List<PendingRequest> batch) {
    stats.pending(-batch.size());
    executors.execute(
        () -> {
          try {
            runner.run(instance, batch);
          } catch (RuntimeException e) {
            LOG.severe(label + ": batch runner failed: " + e);
            batch.forEach(
                r ->
                    fail(
                        r,
                        new InferenceException(
                            io.grpc.Status.Code.INTERNAL,
                            InferenceException.Reason.BACKEND,
                            e.toString(),
                            e)));
          } finally {
            lock.lock();
            try {
              idleInstances.addLast(instance);
              changed.signal();
            } finally {
              lock.unlock();
            }
          }
        });
  }

  private void fail(PendingRequest request, InferenceException error) {
    long elapsed = clock.getAsLong() - request.enqueueNanos();
    stats.failure(error.reason(), elapsed);
    request.result().completeExceptionally(error);
  }

  /** Stops accepting work, fails what is queued, and waits briefly for running batches. */
  @Override
  public void close() {
    stop();
  }

  /**
   * Stops: fails what is queued, lets running batches finish (up to 10 s), then interrupts. Returns
   * whether every instance thread has stopped, so that the runner's native sessions may be freed.
   */
  public boolean stop() {
    List<PendingRequest> dropped;
    lock.lock();
    try {
      running = false;
      dropped = new ArrayList<>(queue);
      queue.clear();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    for (PendingRequest request : dropped) {
      stats.pending(-1);
      fail(request, Errors.stopping(request.request().id()));
    }
    executors.shutdown();
    try {
      if (!executors.awaitTermination(10, TimeUnit.SECONDS)) {
        executors.shutdownNow();
        // A thread inside a native run cannot be interrupted: give it a little longer.
        executors.awaitTermination(5, TimeUnit.SECONDS);
      }
      batcher.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return executors.isTerminated();
  }
}
