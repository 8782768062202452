package dev.framecast.scheduler.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
import java.util.logging.Logger;

/**
 * The nodes and their health: a checker thread asks every node ServerReady and ModelReady for the
 * models the pipelines use, and {@link #place} picks the least-loaded node that can run a set of
 * models.
 */
public final class NodePool implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(NodePool.class.getName());

  private final List<Node> nodes;
  private final Set<String> models;
  private final NodeDiscovery discovery;
  private final java.util.function.Function<String, Node> factory;
  private final Duration rpcTimeout;
  private final ScheduledExecutorService checker;

  /**
   * Health rounds a discovered node has been missing from discovery, by node. After {@link
   * #REMOVE_AFTER_ROUNDS} with nothing in flight it is removed: with DNS discovery every restarted
   * pod is a new address, and a node kept forever would be walked by every tick, keep its channel
   * open, and report unhealthy (an alert) for the life of the scheduler.
   */
  private final java.util.Map<Node, Integer> absentRounds =
      new java.util.concurrent.ConcurrentHashMap<>();

  private final List<java.util.function.Consumer<Node>> removalListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * Checks the models of a node that has become ready against what the scheduler will send and
   * read; completes with what differs, one line each (empty: the node may be used).
   */
  public interface ContractCheck {
    CompletableFuture<List<String>> check(Node node, Set<String> readyModels, Duration timeout);
  }

  private volatile ContractCheck contract;

  /** Rounds a node may be missing from discovery before it is removed. */
  public static final int REMOVE_AFTER_ROUNDS = 3;

  public NodePool(List<Node> nodes, Set<String> models, Duration rpcTimeout) {
    this(nodes, models, rpcTimeout, null, null);
  }

  /**
   * A pool whose members come from {@code discovery} at every health round: new addresses get a
   * node from {@code factory}; a node whose address disappeared is marked not ready (the engine
   * then moves its jobs elsewhere) and is reused if the address comes back.
   */
  public NodePool(
      NodeDiscovery discovery,
      java.util.function.Function<String, Node> factory,
      Set<String> models,
      Duration rpcTimeout) {
    this(List.of(), models, rpcTimeout, discovery, factory);
  }

  private NodePool(
      List<Node> nodes,
      Set<String> models,
      Duration rpcTimeout,
      NodeDiscovery discovery,
      java.util.function.Function<String, Node> factory) {
    this.nodes = new java.util.concurrent.CopyOnWriteArrayList<>(nodes);
    this.discovery = discovery;
    this.factory = factory;
    this.models = Set.copyOf(models);
    this.rpcTimeout = rpcTimeout;
    this.checker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "framecast-node-health");
              t.setDaemon(true);
              return t;
            });
  }

  public List<Node> nodes() {
    return nodes;
  }

  /** Checks every node now and then every {@code interval}. */
  public void startHealthChecks(Duration interval) {
    checkAll().join();
    checker.scheduleWithFixedDelay(
        () -> {
          try {
            checkAll().join();
          } catch (RuntimeException e) {
            // An escaping exception would cancel the schedule and freeze every node's health.
            LOG.log(java.util.logging.Level.WARNING, "node health round failed", e);
          }
        },
        interval.toMillis(),
        interval.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /**
   * From now on a node is used only once its models pass {@code check} (at once for the nodes here,
   * and whenever a node becomes ready again); returns when every node has been checked.
   */
  public void checkContractWith(ContractCheck check) {
    contract = check;
    nodes.forEach(Node::recheck);
    checkAll().join();
  }

  /** The nodes refused by the contract check, with what differs. */
  public java.util.Map<String, String> refusals() {
    java.util.Map<String, String> refused = new java.util.TreeMap<>();
    for (Node node : nodes) {
      if (node.refusal() != null) {
        refused.put(node.name(), node.refusal());
      }
    }
    return refused;
  }

  public CompletableFuture<Void> checkAll() {
    Set<String> current = discover();
    List<CompletableFuture<Void>> checks = new ArrayList<>();
    for (Node node : nodes) {
      if (current != null && !current.contains(node.name())) {
        if (node.ready()) {
          LOG.info("node " + node.name() + " left discovery: not ready");
        }
        node.setHealth(false, Set.of());
        int rounds = absentRounds.merge(node, 1, Integer::sum);
        // Not ready, so nothing new is sent to it; what was in flight is let finish.
        if (rounds >= REMOVE_AFTER_ROUNDS && node.inFlight() == 0) {
          remove(node);
        }
        continue;
      }
      absentRounds.remove(node);
      checks.add(check(node));
    }
    return CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new));
  }

  private CompletableFuture<Void> check(Node node) {
    return node.client()
        .serverReady(rpcTimeout)
        .thenCompose(
            serverReady -> {
              List<CompletableFuture<String>> perModel = new ArrayList<>();
              for (String model : models) {
                perModel.add(
                    node.client()
                        .modelReady(model, rpcTimeout)
                        .handle((ready, error) -> error == null && ready ? model : null));
              }
              return CompletableFuture.allOf(perModel.toArray(CompletableFuture[]::new))
                  .thenApply(
                      ignored -> {
                        Set<String> ready = new HashSet<>();
                        perModel.forEach(f -> Optional.ofNullable(f.join()).ifPresent(ready::add));
                        return ready;
                      });
            })
        .thenCompose(readyModels -> checkContract(node, readyModels))
        .thenCompose(readyModels -> statistics(node, readyModels).thenApply(ignored -> readyModels))
        .handle(
            (readyModels, error) -> {
              boolean wasReady = node.ready();
              // A node is usable when it serves the models, even if another model it hosts is not
              // ready (Triton's strict ServerReady would otherwise take it out), and when they are
              // the models the scheduler was resolved against.
              boolean ready = error == null && !readyModels.isEmpty() && node.refusal() == null;
              if (error != null || readyModels.isEmpty()) {
                node.recheck(); // it may come back with other models
              }
              node.setHealth(ready, ready ? readyModels : Set.of());
              if (ready != wasReady) {
                LOG.info(
                    "node "
                        + node.name()
                        + ": "
                        + (wasReady ? "ready" : "not ready")
                        + " -> "
                        + (ready
                            ? "ready " + readyModels
                            : "not ready"
                                + (error != null ? " (" + error.getMessage() + ")" : "")));
              }
              return null;
            });
  }

  /**
   * Checks the node's models against the contract when it has become ready (or was asked to be
   * checked again). A refused node is checked every round, so a node redeployed with the right
   * models comes back; its refusal is logged when it changes.
   */
  private CompletableFuture<Set<String>> checkContract(Node node, Set<String> readyModels) {
    ContractCheck check = contract;
    if (check == null || readyModels.isEmpty() || node.checked()) {
      return CompletableFuture.completedFuture(readyModels);
    }
    return check
        .check(node, readyModels, rpcTimeout)
        .handle(
            (problems, error) -> {
              String refusal;
              if (error != null) {
                refusal =
                    "reading its model metadata failed: "
                        + (error instanceof java.util.concurrent.CompletionException
                            ? error.getCause()
                            : error);
              } else {
                refusal = problems.isEmpty() ? null : String.join("; ", problems);
              }
              String before = node.refusal();
              node.setChecked(refusal);
              if (refusal != null && !refusal.equals(before)) {
                LOG.warning("node " + node.name() + " refused: " + refusal);
              } else if (refusal == null && before != null) {
                LOG.info("node " + node.name() + ": its models now match; no longer refused");
              }
              return readyModels;
            });
  }

  /**
   * Reads each ready model's per-batch-size compute time from the node's ModelStatistics, so the
   * scheduler can tell a step's RPC time from its compute time. Failure here is not a health
   * failure: the statistics are advisory.
   */
  private CompletableFuture<Void> statistics(Node node, Set<String> readyModels) {
    java.util.Map<String, java.util.Map<Integer, Double>> seconds =
        new java.util.concurrent.ConcurrentHashMap<>();
    List<CompletableFuture<Void>> reads = new ArrayList<>();
    for (String model : readyModels) {
      reads.add(
          node.client()
              .statistics(model, rpcTimeout)
              .thenAccept(
                  response -> {
                    java.util.Map<Integer, Double> byBatch = new java.util.HashMap<>();
                    for (var stats : response.getModelStatsList()) {
                      for (var batch : stats.getBatchStatsList()) {
                        var infer = batch.getComputeInfer();
                        if (infer.getCount() > 0) {
                          byBatch.put(
                              (int) batch.getBatchSize(), infer.getNs() / 1e9 / infer.getCount());
                        }
                      }
                    }
                    seconds.put(model, byBatch);
                  })
              .exceptionally(error -> null));
    }
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
        .thenRun(() -> node.setComputeSeconds(seconds));
  }

  /** Called with each node removed after leaving discovery (from the health checker's thread). */
  public void onRemoved(java.util.function.Consumer<Node> listener) {
    removalListeners.add(listener);
  }

  private void remove(Node node) {
    nodes.remove(node);
    absentRounds.remove(node);
    node.client().close();
    LOG.info(
        "node "
            + node.name()
            + " removed: missing from discovery for "
            + REMOVE_AFTER_ROUNDS
            + " health rounds");
    for (java.util.function.Consumer<Node> listener : removalListeners) {
      try {
        listener.accept(node);
      } catch (RuntimeException e) {
        LOG.log(java.util.logging.Level.WARNING, "node removal listener failed", e);
      }
    }
  }

  /** Adds nodes for newly discovered addresses; returns the current addresses (null: static). */
  private Set<String> discover() {
    if (discovery == null) {
      return null;
    }
    Set<String> addresses = discovery.addresses();
    Set<String> known = new HashSet<>();
    nodes.forEach(n -> known.add(n.name()));
    for (String address : addresses) {
      if (!known.contains(address)) {
        LOG.info("discovered node " + address);
        nodes.add(factory.apply(address));
      }
    }
    return addresses;
  }

  /** The least-loaded node that can run the models, by the given load measure. */
  public Optional<Node> place(Set<String> required, ToIntFunction<Node> load) {
    Node best = null;
    for (Node node : nodes) {
      if (!node.canRun(required)) {
        continue;
      }
      if (best == null || load.applyAsInt(node) < load.applyAsInt(best)) {
        best = node;
      }
    }
    return Optional.ofNullable(best);
  }

  public Collection<Node> healthy(Set<String> required) {
    List<Node> healthy = new ArrayList<>();
    for (Node node : nodes) {
      if (node.canRun(required)) {
        healthy.add(node);
      }
    }
    return healthy;
  }

  @Override
  public void close() {
    checker.shutdownNow();
    nodes.forEach(n -> n.client().close());
  }
}
