package dev.framecast.scheduler.engine;

import dev.framecast.scheduler.batch.StepProfile;
import dev.framecast.scheduler.node.Node;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the loop learns about each node's DiT steps: round trips by batch size, the node's own
 * compute times as a profile, and the length of a whole step cycle. Loop thread only.
 */
final class NodeStats {
  private final Map<Integer, Double> configuredProfile;

  /** Step latency per node, learned from observed DiT batches. */
  private final Map<Node, StepProfile> profiles = new HashMap<>();

  /** A node's reported compute times and the profile made of them. */
  private record ComputeProfile(Map<Integer, Double> source, StepProfile profile) {}

  private final Map<Node, ComputeProfile> computeProfiles = new HashMap<>();

  /** When the node's last DiT batch came back ({@link System#nanoTime}). */
  private final Map<Node, Long> lastStepEnd = new HashMap<>();

  /** When the node's last DiT batch went out with no other in flight. */
  private final Map<Node, Instant> lastLoneStep = new HashMap<>();

  /**
   * The time between consecutive lone DiT sends (moving average), i.e. a whole step cycle as the
   * node sees it: compute, both transfers, and the loop's turnaround between a result and the next
   * request, which the round trip alone does not show.
   */
  private final Map<Node, Double> stepCycleSeconds = new HashMap<>();

  /**
   * @param configuredProfile step latency by batch size to start every node's profile from
   */
  NodeStats(Map<Integer, Double> configuredProfile) {
    this.configuredProfile = Map.copyOf(configuredProfile);
  }

  /** The node's round-trip profile (made on first use from the configured one). */
  StepProfile profile(Node node) {
    return profiles.computeIfAbsent(node, n -> new StepProfile(configuredProfile));
  }

  /**
   * The node's reported compute times as a profile, made once per set of statistics the node
   * reports, not once per tick.
   */
  StepProfile computeProfile(Node node, Map<Integer, Double> compute) {
    ComputeProfile cached = computeProfiles.get(node);
    if (cached == null || cached.source() != compute) {
      cached = new ComputeProfile(compute, new StepProfile(compute));
      computeProfiles.put(node, cached);
    }
    return cached.profile();
  }

  /**
   * The GPU time to charge a DiT batch: its round trip, less the part of it the node spent on the
   * batch before (a node runs its batches one after another, so with two micro-batches in flight
   * the second one's round trip includes the first one's compute). Charging round trips would bill
   * that time twice, to whichever tenants sat in the waiting batch.
   */
  double busySeconds(Node node, long latencyNanos, long endNanos) {
    if (endNanos == Command.Done.UNTIMED) {
      return latencyNanos / 1e9;
    }
    Long previous = lastStepEnd.put(node, endNanos);
    long start = endNanos - latencyNanos;
    if (previous != null && previous > start && previous < endNanos) {
      return (endNanos - previous) / 1e9;
    }
    return latencyNanos / 1e9;
  }

  /**
   * Times a lone DiT send against the node's previous one: their distance is a step's whole cycle.
   * A gap of more than three round trips is the node waiting for work, not turnaround, and is not
   * counted.
   */
  void loneSend(Node node, Instant now, int batch) {
    Instant last = lastLoneStep.put(node, now);
    double roundTrip = profile(node).latency(batch);
    if (last == null || !Double.isFinite(roundTrip)) {
      return;
    }
    double seconds = Duration.between(last, now).toNanos() / 1e9;
    if (seconds > 0 && seconds <= 3 * roundTrip) {
      stepCycleSeconds.merge(node, seconds, (old, x) -> 0.8 * old + 0.2 * x);
    }
  }

  /** The node's step cycle in seconds, NaN before two lone sends were timed. */
  double cycleSeconds(Node node) {
    return stepCycleSeconds.getOrDefault(node, Double.NaN);
  }

  /** Whether anything is kept for the node. */
  boolean knows(Node node) {
    return profiles.containsKey(node)
        || computeProfiles.containsKey(node)
        || lastStepEnd.containsKey(node)
        || lastLoneStep.containsKey(node)
        || stepCycleSeconds.containsKey(node);
  }

  /** Forgets every node not in {@code keep}. */
  void retain(Set<Node> keep) {
    for (Map<Node, ?> perNode :
        List.of(profiles, computeProfiles, lastStepEnd, lastLoneStep, stepCycleSeconds)) {
      perNode.keySet().removeIf(node -> !keep.contains(node));
    }
  }
}
