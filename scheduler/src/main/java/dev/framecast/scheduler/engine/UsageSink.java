package dev.framecast.scheduler.engine;

import dev.framecast.scheduler.job.JobPhase;

/**
 * Where the engine reports accounting and measurements: GPU-seconds as batches finish, job
 * outcomes, each node request's size and latency, and each job's life. Called on the loop thread:
 * implementations must not block.
 */
public interface UsageSink {
  void gpuSeconds(String tenant, double seconds);

  void finished(String tenant, JobPhase outcome);

  /** A node request finished: its kind ("step", "encode", "decode", "preview"), size, latency. */
  default void request(
      String node, String model, String kind, int size, double seconds, boolean ok) {}

  /**
   * A job ended (loop thread; must return at once): its phase is terminal and its last event
   * appended. Webhooks start here.
   */
  default void ended(dev.framecast.scheduler.job.Job job) {}

  /** A job ended; {@code seconds} from admission to its end. */
  default void jobEnded(JobPhase outcome, double seconds) {}

  /**
   * The loop took in a job, {@code seconds} after its admission: the wait before scheduling starts
   * (its first event, queued, is appended at admission).
   */
  default void firstEvent(double seconds) {}

  UsageSink NONE =
      new UsageSink() {
        @Override
        public void gpuSeconds(String tenant, double seconds) {}

        @Override
        public void finished(String tenant, JobPhase outcome) {}
      };
}
