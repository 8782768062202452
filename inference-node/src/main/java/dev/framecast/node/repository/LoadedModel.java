package dev.framecast.node.repository;

import dev.framecast.inference.v2.ModelConfig;
import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A model directory after loading: its config (when it parsed), the versions that are ready, and
 * the state and reason of every version it tried, for RepositoryIndex and readiness.
 */
public final class LoadedModel implements AutoCloseable {
  /** State names as Triton reports them in RepositoryIndex. */
  public enum State {
    READY,
    UNAVAILABLE
  }

  /** A version's load outcome. */
  public record VersionState(long version, State state, String reason) {}

  private final String name;
  private final ModelConfig config;
  private final NavigableMap<Long, ModelVersion> ready;
  private final NavigableMap<Long, VersionState> states;
  private final String modelReason;

  LoadedModel(
      String name,
      ModelConfig config,
      NavigableMap<Long, ModelVersion> ready,
      NavigableMap<Long, VersionState> states,
      String modelReason) {
    this.name = name;
    this.config = config;
    this.ready = Collections.unmodifiableNavigableMap(new TreeMap<>(ready));
    this.states = Collections.unmodifiableNavigableMap(new TreeMap<>(states));
    this.modelReason = modelReason;
  }

  static LoadedModel failed(String name, String reason) {
    return new LoadedModel(name, null, new TreeMap<>(), new TreeMap<>(), reason);
  }

  public String name() {
    return name;
  }

  /** Empty when config.pbtxt could not be read or checked. */
  public Optional<ModelConfig> config() {
    return Optional.ofNullable(config);
  }

  public NavigableMap<Long, ModelVersion> readyVersions() {
    return ready;
  }

  public Map<Long, VersionState> versionStates() {
    return states;
  }

  /** Why the whole model failed to load (no version was tried), or null. */
  public String modelReason() {
    return modelReason;
  }

  @Override
  public void close() {
    ready.values().forEach(ModelVersion::close);
  }
}
