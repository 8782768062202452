package dev.framecast.loadtest;

import java.util.Map;

/**
 * One look at the system during a run (wall time from the run's start): the scheduler's own
 * metrics, the simulated fleet's busy time, the gateway process's CPU and what the clients saw.
 * Counters are cumulative; the analysis takes differences.
 *
 * @param gpuSeconds the scheduler's GPU-seconds per tenant (each batch's latency split among its
 *     jobs)
 * @param queued jobs admitted and not started, per tenant
 * @param active jobs running
 * @param batchSum DiT job-steps sent (sum of the batch-size histogram)
 * @param batchCount DiT batches sent
 * @param loopCpuSeconds CPU time of the scheduler's loop thread (NaN when not exported)
 * @param fleetBusyNanos simulated GPU busy time summed over the fleet
 * @param nodesUp simulated nodes serving
 * @param gatewayCpuSeconds CPU time of the whole gateway process (scheduler included)
 * @param clientSteps DiT steps the clients saw completed
 */
record Sample(
    long tNanos,
    Map<String, Double> gpuSeconds,
    Map<String, Double> queued,
    double active,
    double batchSum,
    double batchCount,
    double loopCpuSeconds,
    long fleetBusyNanos,
    int nodesUp,
    double gatewayCpuSeconds,
    long clientSteps) {

  double queuedTotal() {
    return queued.values().stream().mapToDouble(Double::doubleValue).sum();
  }

  double gpuSecondsTotal() {
    return gpuSeconds.values().stream().mapToDouble(Double::doubleValue).sum();
  }
}
