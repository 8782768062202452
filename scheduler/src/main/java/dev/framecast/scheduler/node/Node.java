package dev.framecast.scheduler.node;

import java.util.Set;

/**
 * One node as the scheduler sees it: its client, its health (updated by the health checker), its
 * breaker, and its load (owned by the loop thread).
 */
public final class Node {
  private final String name;
  private final TritonClient client;
  private final CircuitBreaker breaker;
  private volatile boolean ready;
  private volatile Set<String> readyModels = Set.of();

  /** Whether the node's models were checked against the contract since it last became ready. */
  private volatile boolean checked;

  /** Why the node's models do not serve the pipelines (null: they do, or not checked yet). */
  private volatile String refusal;

  /** Mean compute time per execution by model and batch size, from the node's statistics. */
  private volatile java.util.Map<String, java.util.Map<Integer, Double>> computeSeconds =
      java.util.Map.of();

  /** Requests in flight to this node (loop thread). */
  private int inFlight;

  public Node(String name, TritonClient client, CircuitBreaker breaker) {
    this.name = name;
    this.client = client;
    this.breaker = breaker;
  }

  public String name() {
    return name;
  }

  public TritonClient client() {
    return client;
  }

  public CircuitBreaker breaker() {
    return breaker;
  }

  /** Ready, hosting every model asked for, and not ejected by its breaker. */
  public boolean canRun(Set<String> models) {
    return ready && readyModels.containsAll(models) && breaker.state() != CircuitBreaker.State.OPEN;
  }

  public boolean ready() {
    return ready;
  }

  public Set<String> readyModels() {
    return readyModels;
  }

  void setHealth(boolean ready, Set<String> models) {
    this.ready = ready;
    this.readyModels = Set.copyOf(models);
  }

  /** Whether the node's models passed the contract check since it last became ready. */
  public boolean checked() {
    return checked;
  }

  /** Why the node is refused: what differs between its models and the contract (null: not). */
  public String refusal() {
    return refusal;
  }

  /** Records a contract check: null for a pass, else what differs (the node is then not used). */
  void setChecked(String refusal) {
    this.refusal = refusal;
    this.checked = refusal == null;
  }

  /** Asks for the contract check again at the next health round (its answers looked wrong). */
  public void recheck() {
    checked = false;
  }

  /** The node's own compute time for a batch of the model (seconds), NaN when unknown. */
  public double computeSeconds(String model, int batch) {
    java.util.Map<Integer, Double> byBatch = computeSeconds.get(model);
    Double seconds = byBatch == null ? null : byBatch.get(batch);
    return seconds == null ? Double.NaN : seconds;
  }

  /** The node's own compute time by batch size for the model (seconds); empty when unknown. */
  public java.util.Map<Integer, Double> computeProfile(String model) {
    return computeSeconds.getOrDefault(model, java.util.Map.of());
  }

  public void setComputeSeconds(java.util.Map<String, java.util.Map<Integer, Double>> seconds) {
    this.computeSeconds = java.util.Map.copyOf(seconds);
  }

  public int inFlight() {
    return inFlight;
  }

  public void addInFlight(int delta) {
    inFlight += delta;
  }

  @Override
  public String toString() {
    return name;
  }
}
