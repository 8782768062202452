package dev.framecast.gateway.backend;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.ListJobsRequest;
import dev.framecast.api.v1.ListJobsResponse;
import dev.framecast.api.v1.ListModelsResponse;
import dev.framecast.api.v1.Usage;
import dev.framecast.common.Caller;
import java.util.concurrent.Flow;

/**
 * The scheduler as the gateway sees it, for a caller whose token the gateway verified: in-process
 * in embedded mode ({@link EmbeddedBackend}), over {@code framecast.scheduler.v1} in a distributed
 * deployment ({@link RemoteBackend}). Failures are gRPC statuses (StatusRuntimeException) or the
 * scheduler's typed admission exceptions; {@link dev.framecast.gateway.api.Statuses} maps both.
 */
public interface Backend extends AutoCloseable {
  Job submit(Caller caller, GenerateRequest request);

  Job get(Caller caller, String jobId);

  ListJobsResponse list(Caller caller, ListJobsRequest request);

  Job cancel(Caller caller, String jobId, String reason);

  Usage usage(Caller caller, String tenant);

  ListModelsResponse models(Caller caller);

  /**
   * The job's events after {@code afterSeq}, then live until it ends; emitted only as fast as the
   * subscriber requests (flow control end to end). Unknown or foreign jobs fail here or as the
   * publisher's first signal.
   */
  Flow.Publisher<JobEvent> events(Caller caller, String jobId, long afterSeq);

  /**
   * One asset of the caller's finished job ({@code variant}: "video", "thumbnail", "spritesheet";
   * empty for the video): what it is, and its bytes copied a range at a time from the clip store,
   * never held whole here. FAILED_PRECONDITION before the job has succeeded, NOT_FOUND once the
   * asset is gone, INVALID_ARGUMENT for an unknown variant.
   */
  Content content(Caller caller, String jobId, String variant);

  /**
   * Deletes the caller's job (cancelling it first if it has not ended): its record, events, clip
   * and images. Returns the job as it was.
   */
  Job delete(Caller caller, String jobId);

  /** A finished job's asset. */
  interface Content {
    String contentType();

    long size();

    /** A strong entity tag, quoted as in HTTP. */
    String etag();

    /** Writes {@code length} bytes from {@code offset} to {@code out} as they are read. */
    void copyTo(long offset, long length, java.io.OutputStream out) throws java.io.IOException;
  }

  /** True when the backend can take work (health readiness). */
  boolean ready();

  /** What this backend is, for logs and health: "embedded", "scheduler at host:port". */
  String describe();

  @Override
  void close();
}
