package dev.framecast.node.fault;

import dev.framecast.node.infer.InferenceException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Faults a test (or an operator drill) asks for, per model; nothing happens unless asked. The node
 * consults it before queueing each request and when reporting readiness. Thread-safe.
 */
public final class FaultInjector {
  private final Map<String, Long> addedLatencyMillis = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> failuresLeft = new ConcurrentHashMap<>();
  private final Map<String, Boolean> notReady = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
  private volatile Runnable stopAbruptly = () -> {};

  /** Adds this much latency to every request for the model (0 removes it). */
  public void addLatency(String model, long millis) {
    if (millis <= 0) {
      addedLatencyMillis.remove(model);
    } else {
      addedLatencyMillis.put(model, millis);
    }
  }

  /** The next {@code count} requests for the model fail with UNAVAILABLE. */
  public void failNext(String model, int count) {
    failuresLeft.computeIfAbsent(model, m -> new AtomicInteger()).set(Math.max(0, count));
  }

  /** Reports the model (or, with "*", the whole server) as not ready. */
  public void setNotReady(String model, boolean value) {
    if (value) {
      notReady.put(model, true);
    } else {
      notReady.remove(model);
    }
  }

  /** Stops the node at once, without draining: in-flight RPCs fail as if the process died. */
  public void stopAbruptly() {
    stopAbruptly.run();
  }

  /** Parses "model=value" from the command line. */
  public static Map.Entry<String, String> parse(String spec) {
    int eq = spec.indexOf('=');
    if (eq <= 0 || eq == spec.length() - 1) {
      throw new IllegalArgumentException("expected MODEL=VALUE, got '" + spec + "'");
    }
    return Map.entry(spec.substring(0, eq), spec.substring(eq + 1));
  }

  public void onStopAbruptly(Runnable action) {
    this.stopAbruptly = action;
  }

  public boolean serverNotReady() {
    return notReady.containsKey("*");
  }

  public boolean modelNotReady(String model) {
    return serverNotReady() || notReady.containsKey(model);
  }

  public long latencyMillis(String model) {
    return addedLatencyMillis.getOrDefault(model, 0L);
  }

  /**
   * The requests for the model that reached the fault point (before any injected failure or
   * latency), so a drill can wait until a request is at the node rather than guess.
   */
  public long requests(String model) {
    AtomicLong n = requests.get(model);
    return n == null ? 0 : n.get();
  }

  /** Counts the request, then throws UNAVAILABLE if a failure was asked for this model. */
  public void maybeFail(String model) {
    requests.computeIfAbsent(model, m -> new AtomicLong()).incrementAndGet();
    AtomicInteger left = failuresLeft.get(model);
    if (left != null && left.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new InferenceException(
          io.grpc.Status.Code.UNAVAILABLE,
          InferenceException.Reason.BACKEND,
          "injected fault: model '" + model + "' unavailable");
    }
  }
}
