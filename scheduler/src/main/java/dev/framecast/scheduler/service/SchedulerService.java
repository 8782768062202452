package dev.framecast.scheduler.service;

import com.google.protobuf.ByteString;
import dev.framecast.api.v1.ClipChunk;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.ListJobsResponse;
import dev.framecast.api.v1.ListModelsResponse;
import dev.framecast.api.v1.Usage;
import dev.framecast.common.errors.GrpcStatusMapper;
import dev.framecast.common.errors.InvalidRequestException;
import dev.framecast.common.errors.NotFoundException;
import dev.framecast.common.errors.OverloadedException;
import dev.framecast.common.errors.UnauthenticatedException;
import dev.framecast.common.events.FlowControlledWriter;
import dev.framecast.common.events.OpenStreams;
import dev.framecast.scheduler.engine.ClipStore;
import dev.framecast.scheduler.v1.CancelRequest;
import dev.framecast.scheduler.v1.ContentInfo;
import dev.framecast.scheduler.v1.ContentRequest;
import dev.framecast.scheduler.v1.JobRequest;
import dev.framecast.scheduler.v1.ListJobsRequest;
import dev.framecast.scheduler.v1.ListPipelinesRequest;
import dev.framecast.scheduler.v1.SchedulerGrpc;
import dev.framecast.scheduler.v1.SubmitRequest;
import dev.framecast.scheduler.v1.UsageRequest;
import dev.framecast.scheduler.v1.WatchRequest;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code framecast.scheduler.v1.Scheduler} over gRPC: the gateway's calls, each carrying the
 * identity it verified. Errors map to gRPC statuses in one place ({@link GrpcStatusMapper}).
 */
public final class SchedulerService extends SchedulerGrpc.SchedulerImplBase {
  private static final int CHUNK = 1 << 20;

  /** How soon a client should reconnect to a stopping scheduler's successor. */
  static final Duration RECONNECT_AFTER = Duration.ofSeconds(1);

  private final SchedulerCore core;
  private final OpenStreams<JobEvent> streams = new OpenStreams<>();

  public SchedulerService(SchedulerCore core) {
    this.core = core;
  }

  /**
   * Ends every Watch stream, and every one opened from now on, with UNAVAILABLE and RetryInfo
   * naming the seq to resume after: the clients (gateways) reconnect to the new leader. Events
   * already committed are in the store, so resuming from that seq loses nothing.
   *
   * @return how many streams were open
   */
  public int endStreams() {
    return streams.close(
        last ->
            new OverloadedException(
                "the scheduler is stopping: reconnect and resume after event "
                    + (last == null ? 0 : last.getSeq()),
                RECONNECT_AFTER));
  }

  private static dev.framecast.common.Caller caller(dev.framecast.scheduler.v1.Caller caller) {
    if (caller.getTenant().isEmpty()) {
      throw new UnauthenticatedException("the call carries no tenant");
    }
    return new dev.framecast.common.Caller(
        caller.getTenant(), caller.getSubject(), caller.getAdmin());
  }

  @Override
  public void submit(SubmitRequest request, StreamObserver<Job> response) {
    unary(response, () -> core.submit(caller(request.getCaller()), request.getRequest()));
  }

  @Override
  public void getJob(JobRequest request, StreamObserver<Job> response) {
    unary(response, () -> core.get(caller(request.getCaller()), request.getJobId()));
  }

  @Override
  public void listJobs(ListJobsRequest request, StreamObserver<ListJobsResponse> response) {
    unary(response, () -> core.list(caller(request.getCaller()), request.getRequest()));
  }

  @Override
  public void cancel(CancelRequest request, StreamObserver<Job> response) {
    unary(
        response,
        () -> core.cancel(caller(request.getCaller()), request.getJobId(), request.getReason()));
  }

  @Override
  public void getUsage(UsageRequest request, StreamObserver<Usage> response) {
    unary(response, () -> core.usage(caller(request.getCaller()), request.getTenant()));
  }

  @Override
  public void listPipelines(
      ListPipelinesRequest request, StreamObserver<ListModelsResponse> response) {
    unary(response, () -> core.pipelines(caller(request.getCaller())));
  }

  @Override
  public void watch(WatchRequest request, StreamObserver<JobEvent> response) {
    try {
      FlowControlledWriter.pipe(
          streams.track(
              core.events(caller(request.getCaller()), request.getJobId(), request.getAfterSeq())),
          (ServerCallStreamObserver<JobEvent>) response,
          SchedulerService::toStatus,
          new FlowControlledWriter.Listener<>() {});
    } catch (RuntimeException e) {
      response.onError(toStatus(e));
    }
  }

  @Override
  public void getClip(JobRequest request, StreamObserver<ClipChunk> response) {
    try {
      byte[] clip =
          core.clip(caller(request.getCaller()), request.getJobId())
              .orElseThrow(() -> NotFoundException.clip(request.getJobId()));
      for (int offset = 0; offset < clip.length; offset += CHUNK) {
        int length = Math.min(CHUNK, clip.length - offset);
        response.onNext(
            ClipChunk.newBuilder()
                .setOffset(offset)
                .setData(ByteString.copyFrom(clip, offset, length))
                .setLast(offset + length == clip.length)
                .setContentType("video/mp4")
                .build());
      }
      response.onCompleted();
    } catch (Exception e) {
      response.onError(toStatus(e));
    }
  }

  @Override
  public void delete(JobRequest request, StreamObserver<Job> response) {
    unary(response, () -> core.delete(caller(request.getCaller()), request.getJobId()));
  }

  @Override
  public void statContent(ContentRequest request, StreamObserver<ContentInfo> response) {
    unary(
        response,
        () -> {
          ClipStore.Asset asset = SchedulerCore.asset(request.getVariant());
          ClipStore.Blob blob =
              core.content(caller(request.getCaller()), request.getJobId(), asset);
          return ContentInfo.newBuilder()
              .setContentType(asset.contentType())
              .setSize(blob.size())
              .setEtag(blob.etag())
              .build();
        });
  }

  /**
   * Streams the asking range as the client takes it: a chunk is read from the store only when the
   * call is ready for one, so a slow gateway holds at most one chunk here.
   */
  @Override
  public void getContent(ContentRequest request, StreamObserver<ClipChunk> response) {
    ServerCallStreamObserver<ClipChunk> call = (ServerCallStreamObserver<ClipChunk>) response;
    ContentPump pump;
    try {
      ClipStore.Asset asset = SchedulerCore.asset(request.getVariant());
      ClipStore.Blob blob = core.content(caller(request.getCaller()), request.getJobId(), asset);
      long offset = request.getOffset();
      long size = blob.size();
      if (offset < 0 || offset > size) {
        throw InvalidRequestException.of(
            "offset",
            "offset "
                + Long.toUnsignedString(offset)
                + " is past the end of the "
                + asset.variant()
                + " ("
                + size
                + " bytes)");
      }
      long length = request.getLength();
      length = length <= 0 || length > size - offset ? size - offset : length;
      pump = new ContentPump(call, blob.open(offset, length), offset, length, asset.contentType());
    } catch (Exception e) {
      response.onError(toStatus(e));
      return;
    }
    pump.start();
  }

  /** Writes one asset range in chunks, each read when the call is ready for it. */
  private static final class ContentPump {
    private final ServerCallStreamObserver<ClipChunk> call;
    private final java.io.InputStream in;
    private final String contentType;
    private long position;
    private long remaining;
    private boolean done;

    ContentPump(
        ServerCallStreamObserver<ClipChunk> call,
        java.io.InputStream in,
        long offset,
        long length,
        String contentType) {
      this.call = call;
      this.in = in;
      this.position = offset;
      this.remaining = length;
      this.contentType = contentType;
    }

    void start() {
      call.setOnCancelHandler(this::finish);
      call.setOnReadyHandler(this::drain);
      drain();
    }

    private synchronized void drain() {
      try {
        while (!done && remaining > 0 && call.isReady()) {
          byte[] data = in.readNBytes((int) Math.min(CHUNK, remaining));
          if (data.length == 0) {
            throw new java.io.EOFException("the stored asset ended " + remaining + " bytes early");
          }
          remaining -= data.length;
          call.onNext(
              ClipChunk.newBuilder()
                  .setOffset(position)
                  .setData(ByteString.copyFrom(data))
                  .setLast(remaining == 0)
                  .setContentType(contentType)
                  .build());
          position += data.length;
        }
        if (!done && remaining == 0) {
          finish();
          call.onCompleted();
        }
      } catch (java.io.IOException | RuntimeException e) {
        if (!done) {
          finish();
          call.onError(
              io.grpc.Status.INTERNAL
                  .withDescription("reading the stored asset failed: " + e.getMessage())
                  .asRuntimeException());
        }
      }
    }

    private synchronized void finish() {
      if (!done) {
        done = true;
        try {
          in.close();
        } catch (java.io.IOException ignored) {
          // Nothing more is read from it.
        }
      }
    }
  }

  private static <T> void unary(StreamObserver<T> response, Callable<T> body) {
    T value;
    try {
      value = body.call();
    } catch (Exception e) {
      response.onError(toStatus(e));
      return;
    }
    response.onNext(value);
    response.onCompleted();
  }

  private static StatusRuntimeException toStatus(Throwable e) {
    if (e instanceof StatusRuntimeException status) {
      return status;
    }
    return GrpcStatusMapper.toStatus(e);
  }
}
