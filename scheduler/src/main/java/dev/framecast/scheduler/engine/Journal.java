package dev.framecast.scheduler.engine;

import dev.framecast.scheduler.job.Job;
import java.util.concurrent.CompletableFuture;

/**
 * Where the engine reports jobs for a durable store. The engine tells it of each new job and of
 * every change readers could see; the journal writes on its own thread, so the loop never waits on
 * a database. With a durable journal, jobs' event logs are gated: readers see only what it has
 * committed.
 */
public interface Journal {
  /** Whether jobs' events must be committed before readers see them. */
  boolean durable();

  /**
   * A job was admitted (the submitting thread, before the loop sees it). The future completes when
   * its record, and the idempotency key it came with (if any), is committed: only then may the
   * submission be acknowledged.
   *
   * @param keyedRequest the request its idempotency key stands for (key cleared, serialized), or
   *     null when it came without a key
   */
  CompletableFuture<Void> admitted(Job job, byte[] keyedRequest);

  /**
   * A job taken over from the store after a restart: its record and events up to its log's current
   * seq are committed already, as are {@code storedGpuSeconds} of GPU time.
   */
  void resumed(Job job, double storedGpuSeconds);

  /** The job's state or events changed (loop thread): must not block. */
  void changed(Job job);

  /** No store: nothing is written, events are seen at once. */
  Journal NONE =
      new Journal() {
        @Override
        public boolean durable() {
          return false;
        }

        @Override
        public CompletableFuture<Void> admitted(Job job, byte[] keyedRequest) {
          return CompletableFuture.completedFuture(null);
        }

        @Override
        public void resumed(Job job, double storedGpuSeconds) {
          throw new IllegalStateException("nothing to resume without a job store");
        }

        @Override
        public void changed(Job job) {}
      };
}
