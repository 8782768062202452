package dev.framecast.node.batch;

import java.util.List;

/**
 * Runs one batch of requests on one model instance and completes each request's future. The
 * template step of the scheduler: how a batch executes is the only thing implementations decide.
 */
public interface BatchRunner {
  /**
   * Executes the batch on the given instance (0 .. instances-1) and completes every request's
   * result future, successfully or with an InferenceException. Must not throw.
   */
  void run(int instance, List<PendingRequest> batch);
}
