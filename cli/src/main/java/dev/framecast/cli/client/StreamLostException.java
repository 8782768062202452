package dev.framecast.cli.client;

import io.grpc.Status;

/**
 * The connection to the gateway stayed broken through every retry. The job itself is not lost: it
 * keeps running on the server, and {@code ./framecast generate --watch JOB_ID} resumes it.
 */
public final class StreamLostException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String jobId;
  private final long lastSeq;
  private final transient Status status;

  StreamLostException(String jobId, long lastSeq, Status status) {
    super(
        "lost the connection to the server (" + StatusReport.brief(status) + ")",
        status.getCause());
    this.jobId = jobId;
    this.lastSeq = lastSeq;
    this.status = status;
  }

  /** The job (known: before its first event a lost connection is a refused call instead). */
  public String jobId() {
    return jobId;
  }

  public long lastSeq() {
    return lastSeq;
  }

  public Status status() {
    return status;
  }
}
