package dev.framecast.node.repository;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.framecast.inference.v2.ModelConfig;
import dev.framecast.node.batch.ModelScheduler;
import dev.framecast.node.infer.ModelSignature;
import dev.framecast.node.metrics.ModelStats;
import java.util.List;
import java.util.logging.Logger;

/**
 * One loaded, ready version of a model: its sessions (one per instance; none when simulated), queue
 * and statistics.
 */
public final class ModelVersion implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ModelVersion.class.getName());

  private final ModelConfig config;
  private final long version;
  private final ModelSignature signature;
  private final List<OrtSession> sessions;
  private final int instances;
  private final ModelScheduler scheduler;
  private final ModelStats stats;

  ModelVersion(
      ModelConfig config,
      long version,
      ModelSignature signature,
      List<OrtSession> sessions,
      int instances,
      ModelScheduler scheduler,
      ModelStats stats) {
    this.config = config;
    this.version = version;
    this.signature = signature;
    this.sessions = List.copyOf(sessions);
    this.instances = instances;
    this.scheduler = scheduler;
    this.stats = stats;
  }

  public String name() {
    return config.getName();
  }

  public long version() {
    return version;
  }

  public ModelConfig config() {
    return config;
  }

  public ModelSignature signature() {
    return signature;
  }

  public ModelScheduler scheduler() {
    return scheduler;
  }

  public ModelStats stats() {
    return stats;
  }

  /** Model instances (executor threads); equals the sessions, except simulated (no sessions). */
  public int instances() {
    return instances;
  }

  @Override
  public void close() {
    if (!scheduler.stop()) {
      // Freeing a session while a thread still runs in it crashes the process; leaking it until
      // the process exits does not.
      LOG.warning(name() + " version " + version + ": instances still running; sessions left open");
      return;
    }
    for (OrtSession session : sessions) {
      try {
        session.close();
      } catch (OrtException e) {
        LOG.warning(name() + " version " + version + ": closing session failed: " + e);
      }
    }
  }
}
