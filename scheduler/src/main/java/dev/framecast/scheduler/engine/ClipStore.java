package dev.framecast.scheduler.engine;

import java.io.IOException;
import java.util.Optional;

/** Where finished clips are kept for their tenant. Called on worker threads. */
public interface ClipStore {
  void put(String tenant, String jobId, byte[] clip) throws IOException;

  Optional<byte[]> get(String tenant, String jobId) throws IOException;
}
