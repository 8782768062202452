package dev.framecast.scheduler.engine;

import java.time.Duration;
import java.util.Optional;

/** Engine parts tests and benchmarks share. */
final class TestParts {
  private TestParts() {}

  /** The default configuration with the bounds a test changes. */
  static EngineConfig config(
      int maxJobs,
      int maxCommands,
      long maxEventBytes,
      Duration noNodeTimeout,
      Duration jobTimeout) {
    return EngineConfig.builder()
        .maxJobs(maxJobs)
        .maxCommands(maxCommands)
        .maxEventBytes(maxEventBytes)
        .noNodeTimeout(noNodeTimeout)
        .jobTimeout(jobTimeout)
        .build();
  }

  /** A clip store that keeps nothing. */
  static ClipStore discardingStore() {
    return new ClipStore() {
      @Override
      public void put(String tenant, String jobId, byte[] clip) {}

      @Override
      public Optional<byte[]> get(String tenant, String jobId) {
        return Optional.empty();
      }
    };
  }
}
