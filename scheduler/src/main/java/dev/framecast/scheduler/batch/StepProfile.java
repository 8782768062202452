package dev.framecast.scheduler.batch;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * A node's step latency by batch size for one model: seeded from configuration (a measured
 * profile), then learned online as an exponentially weighted average of observed latencies. Latency
 * at an unobserved size is interpolated linearly between neighbours and extrapolated from the last
 * two points. Used by the loop thread only.
 */
public final class StepProfile {
  private static final double ALPHA = 0.2;
  private final NavigableMap<Integer, Double> seconds = new TreeMap<>();

  public StepProfile() {}

  public StepProfile(Map<Integer, Double> configured) {
    configured.forEach(
        (batch, latency) -> {
          if (batch > 0 && latency > 0) {
            seconds.put(batch, latency);
          }
        });
  }

  public void observe(int batch, double latencySeconds) {
    if (batch <= 0 || !(latencySeconds > 0)) {
      return;
    }
    seconds.merge(batch, latencySeconds, (old, now) -> (1 - ALPHA) * old + ALPHA * now);
  }

  /** Distinct batch sizes with data. */
  public int points() {
    return seconds.size();
  }

  /** Estimated latency at a batch size; NaN without data. */
  public double latency(int batch) {
    if (seconds.isEmpty()) {
      return Double.NaN;
    }
    Double exact = seconds.get(batch);
    if (exact != null) {
      return exact;
    }
    Map.Entry<Integer, Double> below = seconds.floorEntry(batch);
    Map.Entry<Integer, Double> above = seconds.ceilingEntry(batch);
    if (below != null && above != null) {
      double f = (double) (batch - below.getKey()) / (above.getKey() - below.getKey());
      return below.getValue() + f * (above.getValue() - below.getValue());
    }
    if (seconds.size() == 1) {
      // One point: assume latency proportional to batch (no batching gain) until shown otherwise.
      Map.Entry<Integer, Double> only = seconds.firstEntry();
      return only.getValue() * batch / only.getKey();
    }
    Map.Entry<Integer, Double> a;
    Map.Entry<Integer, Double> b;
    if (below == null) {
      a = seconds.firstEntry();
      b = seconds.higherEntry(a.getKey());
    } else {
      b = seconds.lastEntry();
      a = seconds.lowerEntry(b.getKey());
    }
    double slope = (b.getValue() - a.getValue()) / (b.getKey() - a.getKey());
    return Math.max(1e-9, a.getValue() + slope * (batch - a.getKey()));
  }
}
