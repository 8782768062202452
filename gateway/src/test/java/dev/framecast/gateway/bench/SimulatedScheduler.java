package dev.framecast.gateway.bench;

import com.google.protobuf.ByteString;
import dev.framecast.api.v1.ClipChunk;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.ListModelsResponse;
import dev.framecast.api.v1.Usage;
import dev.framecast.common.Caller;
import dev.framecast.common.errors.GrpcStatusMapper;
import dev.framecast.common.events.FlowControlledWriter;
import dev.framecast.scheduler.v1.CancelRequest;
import dev.framecast.scheduler.v1.JobRequest;
import dev.framecast.scheduler.v1.ListJobsRequest;
import dev.framecast.scheduler.v1.ListPipelinesRequest;
import dev.framecast.scheduler.v1.SchedulerGrpc;
import dev.framecast.scheduler.v1.SubmitRequest;
import dev.framecast.scheduler.v1.UsageRequest;
import dev.framecast.scheduler.v1.WatchRequest;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * A {@link SimulatedBackend} served as {@code framecast.scheduler.v1} on a loopback port, so that
 * an unmodified production gateway in distributed mode streams its fake jobs: what the gateway's
 * stream benchmark and its test run against. The gateway relays each WatchJob from this server's
 * Watch, as it does from a real scheduler.
 */
public final class SimulatedScheduler implements AutoCloseable {
  private static final int CHUNK = 1 << 20;

  private final SimulatedBackend backend;
  private final Server server;

  private SimulatedScheduler(SimulatedBackend backend, Server server) {
    this.backend = backend;
    this.server = server;
  }

  /** Serves the backend on 127.0.0.1, on a free port. */
  public static SimulatedScheduler start(SimulatedBackend backend) throws IOException {
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(new Service(backend))
            .build()
            .start();
    return new SimulatedScheduler(backend, server);
  }

  /** host:port, as framecast.distributed.scheduler takes it. */
  public String address() {
    return "127.0.0.1:" + server.getPort();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    backend.close();
  }

  private static final class Service extends SchedulerGrpc.SchedulerImplBase {
    private final SimulatedBackend backend;

    Service(SimulatedBackend backend) {
      this.backend = backend;
    }

    private static Caller caller(dev.framecast.scheduler.v1.Caller caller) {
      return new Caller(caller.getTenant(), caller.getSubject(), caller.getAdmin());
    }

    @Override
    public void submit(SubmitRequest request, StreamObserver<Job> response) {
      unary(response, () -> backend.submit(caller(request.getCaller()), request.getRequest()));
    }

    @Override
    public void getJob(JobRequest request, StreamObserver<Job> response) {
      unary(response, () -> backend.get(caller(request.getCaller()), request.getJobId()));
    }

    @Override
    public void listJobs(
        ListJobsRequest request, StreamObserver<dev.framecast.api.v1.ListJobsResponse> response) {
      unary(response, () -> backend.list(caller(request.getCaller()), request.getRequest()));
    }

    @Override
    public void cancel(CancelRequest request, StreamObserver<Job> response) {
      unary(
          response,
          () ->
              backend.cancel(caller(request.getCaller()), request.getJobId(), request.getReason()));
    }

    @Override
    public void getUsage(UsageRequest request, StreamObserver<Usage> response) {
      unary(response, () -> backend.usage(caller(request.getCaller()), request.getTenant()));
    }

    @Override
    public void listPipelines(
        ListPipelinesRequest request, StreamObserver<ListModelsResponse> response) {
      unary(response, () -> backend.models(caller(request.getCaller())));
    }

    @Override
    public void watch(WatchRequest request, StreamObserver<JobEvent> response) {
      try {
        FlowControlledWriter.pipe(
            backend.events(caller(request.getCaller()), request.getJobId(), request.getAfterSeq()),
            (ServerCallStreamObserver<JobEvent>) response);
      } catch (RuntimeException e) {
        response.onError(status(e));
      }
    }

    @Override
    public void getClip(JobRequest request, StreamObserver<ClipChunk> response) {
      try {
        byte[] clip = backend.clip(caller(request.getCaller()), request.getJobId());
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
      } catch (RuntimeException e) {
        response.onError(status(e));
      }
    }

    private static <T> void unary(StreamObserver<T> response, Callable<T> body) {
      T value;
      try {
        value = body.call();
      } catch (Exception e) {
        response.onError(status(e));
        return;
      }
      response.onNext(value);
      response.onCompleted();
    }

    private static StatusRuntimeException status(Throwable e) {
      return e instanceof StatusRuntimeException s ? s : GrpcStatusMapper.toStatus(e);
    }
  }
}
