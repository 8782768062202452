package dev.framecast.loadtest;

import dev.framecast.api.v1.CancelJobRequest;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.Priority;
import dev.framecast.api.v1.VideoGenerationGrpc;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Real gRPC clients with real tokens: every job is one {@code Generate} stream on the public API,
 * sent with its tenant's bearer token. Streams spread over as many HTTP/2 connections as the
 * gateway's per-connection stream limit needs, so the client never queues a call on its side.
 */
final class LoadClient implements AutoCloseable {
  /** Streams per connection: below the gateway's max-concurrent-streams (100). */
  static final int STREAMS_PER_CHANNEL = 90;

  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final String host;
  private final int port;
  private final long startNanos;
  private final Map<String, ClientInterceptor> tokens = new ConcurrentHashMap<>();
  private final List<Pooled> channels = new ArrayList<>();
  private final AtomicInteger outstanding = new AtomicInteger();
  private final Map<String, AtomicLong> stepsByTenant = new ConcurrentHashMap<>();
  private final AtomicLong stepsTotal = new AtomicLong();
  private volatile boolean stopping;

  private record Pooled(ManagedChannel channel, AtomicInteger open) {}

  LoadClient(String host, int port, Map<String, String> tokensByTenant, long startNanos) {
    this.host = host;
    this.port = port;
    this.startNanos = startNanos;
    tokensByTenant.forEach(
        (tenant, token) -> {
          Metadata headers = new Metadata();
          headers.put(AUTHORIZATION, "Bearer " + token);
          tokens.put(tenant, MetadataUtils.newAttachHeadersInterceptor(headers));
          stepsByTenant.put(tenant, new AtomicLong());
        });
  }

  /**
   * The run is over: streams that break from now on (the gateway stopping) leave their jobs
   * unfinished rather than failed.
   */
  void stopping() {
    stopping = true;
  }

  long now() {
    return System.nanoTime() - startNanos;
  }

  /** Jobs sent whose streams have not ended. */
  int outstanding() {
    return outstanding.get();
  }

  /** DiT steps the client has seen completed (progress events), per tenant. */
  Map<String, AtomicLong> stepsByTenant() {
    return stepsByTenant;
  }

  long stepsTotal() {
    return stepsTotal.get();
  }

  private synchronized Pooled channel() {
    for (Pooled pooled : channels) {
      if (pooled.open().get() < STREAMS_PER_CHANNEL) {
        return pooled;
      }
    }
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(host, port)
            .usePlaintext()
            .maxInboundMessageSize(64 << 20)
            .build();
    Pooled pooled = new Pooled(channel, new AtomicInteger());
    channels.add(pooled);
    return pooled;
  }

  /**
   * Sends the job now and follows its stream; {@code ended} runs once when the stream ends (with
   * the record's outcome set).
   */
  void send(JobRecord record, GenerateRequest request, Consumer<JobRecord> ended) {
    Pooled pooled = channel();
    pooled.open().incrementAndGet();
    outstanding.incrementAndGet();
    ClientInterceptor token = tokens.get(record.tenant);
    VideoGenerationGrpc.VideoGenerationStub stub =
        VideoGenerationGrpc.newStub(pooled.channel()).withInterceptors(token);
    record.sentNanos = now();
    stub.generate(request, new Follower(record, pooled, ended));
  }

  static GenerateRequest request(Arrival arrival, int previewEvery, long seed) {
    return GenerateRequest.newBuilder()
        .setPrompt(arrival.prompt())
        .setSteps(arrival.steps())
        .setSeed(seed)
        .setPreviewEvery(previewEvery)
        .setPriority(Priority.PRIORITY_BATCH)
        .build();
  }

  /** Cancels a job (best effort: used to clear queues when a saturation run ends). */
  void cancel(JobRecord record) {
    if (record.jobId.isEmpty() || record.ended()) {
      return;
    }
    VideoGenerationGrpc.newFutureStub(channel().channel())
        .withInterceptors(tokens.get(record.tenant))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .cancelJob(
            CancelJobRequest.newBuilder()
                .setJobId(record.jobId)
                .setReason("load test ended")
                .build());
  }

  private final class Follower implements StreamObserver<JobEvent> {
    private final JobRecord record;
    private final Pooled pooled;
    private final Consumer<JobRecord> ended;
    private final AtomicLong steps;

    Follower(JobRecord record, Pooled pooled, Consumer<JobRecord> ended) {
      this.record = record;
      this.pooled = pooled;
      this.ended = ended;
      this.steps = stepsByTenant.computeIfAbsent(record.tenant, t -> new AtomicLong());
    }

    @Override
    public void onNext(JobEvent event) {
      long now = now();
      if (record.firstEventNanos < 0) {
        record.firstEventNanos = now;
        record.jobId = event.getJobId();
      }
      switch (event.getEventCase()) {
        case STARTED -> record.startedNanos = now;
        case PROGRESS -> {
          int step = event.getProgress().getStep();
          int delta = step - record.stepsSeen;
          if (delta > 0) {
            record.stepsSeen = step;
            steps.addAndGet(delta);
            stepsTotal.addAndGet(delta);
          }
          if (record.firstPreviewNanos < 0 && !event.getProgress().getPreviewPng().isEmpty()) {
            record.firstPreviewNanos = now;
          }
        }
        case COMPLETED -> {
          record.gpuSeconds = event.getCompleted().getGpuSeconds();
          finish(now, JobRecord.Outcome.SUCCEEDED, "");
        }
        case FAILED ->
            finish(
                now,
                JobRecord.Outcome.FAILED,
                event.getFailed().getStatus().getCode()
                    + " "
                    + event.getFailed().getStatus().getMessage());
        case CANCELLED -> finish(now, JobRecord.Outcome.CANCELLED, "");
        default -> {}
      }
    }

    private void finish(long now, JobRecord.Outcome outcome, String error) {
      if (record.ended()) {
        return;
      }
      record.endNanos = now;
      record.error = error;
      record.outcome = outcome;
    }

    @Override
    public void onError(Throwable t) {
      Status status = Status.fromThrowable(t);
      if (!record.ended() && !stopping) {
        boolean refused = record.firstEventNanos < 0;
        record.endNanos = now();
        record.error = status.getCode() + " " + status.getDescription();
        record.outcome = refused ? JobRecord.Outcome.REJECTED : JobRecord.Outcome.ERROR;
      }
      done();
    }

    @Override
    public void onCompleted() {
      if (!record.ended() && !stopping) {
        record.endNanos = now();
        record.error = "stream ended without a final event";
        record.outcome = JobRecord.Outcome.ERROR;
      }
      done();
    }

    private void done() {
      pooled.open().decrementAndGet();
      outstanding.decrementAndGet();
      ended.accept(record);
    }
  }

  @Override
  public synchronized void close() {
    for (Pooled pooled : channels) {
      pooled.channel().shutdownNow();
    }
    for (Pooled pooled : channels) {
      try {
        pooled.channel().awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
