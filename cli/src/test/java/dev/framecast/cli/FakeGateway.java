package dev.framecast.cli;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import dev.framecast.api.v1.CancelJobRequest;
import dev.framecast.api.v1.ClipChunk;
import dev.framecast.api.v1.ClipInfo;
import dev.framecast.api.v1.Completed;
import dev.framecast.api.v1.Frame;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.GetJobRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.api.v1.Progress;
import dev.framecast.api.v1.Queued;
import dev.framecast.api.v1.Started;
import dev.framecast.api.v1.VideoGenerationGrpc;
import dev.framecast.api.v1.WatchJobRequest;
import dev.framecast.cli.client.FramecastClient;
import dev.framecast.cli.client.ServerAddress;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A scripted VideoGeneration server on grpc-java's in-process transport: each Generate creates a
 * job whose events come from a script, and can be made to drop the stream with UNAVAILABLE after a
 * number of events (once), so the client's reconnect path runs. WatchJob replays after after_seq.
 * The CLI is the unit under test; this is only as much server as it needs.
 */
public final class FakeGateway extends VideoGenerationGrpc.VideoGenerationImplBase
    implements AutoCloseable {
  /** The script of a job: its events without job_id, seq and time (filled in here). */
  private final Function<GenerateRequest, List<JobEvent.Builder>> script;

  private final Map<String, List<JobEvent>> jobs = new ConcurrentHashMap<>();
  private final Map<String, String> keys = new ConcurrentHashMap<>();
  private final AtomicInteger ids = new AtomicInteger();
  private final Server server;
  private final String name;

  /** What the client sent. */
  public final List<GenerateRequest> generateCalls = new CopyOnWriteArrayList<>();

  public final List<WatchJobRequest> watchCalls = new CopyOnWriteArrayList<>();
  public final List<CancelJobRequest> cancelCalls = new CopyOnWriteArrayList<>();
  public final List<String> authorizations = new CopyOnWriteArrayList<>();

  /** Generate streams drop with UNAVAILABLE after this many events, this many times. */
  public volatile int dropAfterEvents = -1;

  public volatile int drops;

  /** WatchJob always fails with UNAVAILABLE (a gateway that stays away). */
  public volatile boolean watchUnavailable;

  /** Generate fails with this instead of running the script (then cleared), when set. */
  public volatile StatusRuntimeException refuseNext;

  public FakeGateway(Function<GenerateRequest, List<JobEvent.Builder>> script) throws IOException {
    this.script = script;
    this.name = InProcessServerBuilder.generateName();
    ServerInterceptor auth =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            String value =
                headers.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER));
            authorizations.add(value == null ? "" : value);
            return Contexts.interceptCall(io.grpc.Context.current(), call, headers, next);
          }
        };
    this.server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(ServerInterceptors.intercept(this, auth))
            .build()
            .start();
  }

  /** A client of this server with {@code token}. */
  public FramecastClient client(String token) {
    return new FramecastClient(
        InProcessChannelBuilder.forName(name).directExecutor().build(),
        new ServerAddress("in-process", 1, false),
        token);
  }

  @Override
  public void generate(GenerateRequest request, StreamObserver<JobEvent> out) {
    generateCalls.add(request);
    StatusRuntimeException refusal = refuseNext;
    if (refusal != null) {
      refuseNext = null;
      out.onError(refusal);
      return;
    }
    String id =
        keys.computeIfAbsent(
            request.getIdempotencyKey().isEmpty()
                ? "no-key-" + ids.get()
                : request.getIdempotencyKey(),
            k -> create(request));
    send(jobs.get(id), 0, out, true);
  }

  private String create(GenerateRequest request) {
    String id = "job-" + ids.incrementAndGet();
    List<JobEvent> events = new ArrayList<>();
    long seq = 0;
    for (JobEvent.Builder event : script.apply(request)) {
      seq++;
      events.add(
          event
              .setJobId(id)
              .setSeq(seq)
              .setTime(Timestamp.newBuilder().setSeconds(1_700_000_000L + seq))
              .build());
    }
    jobs.put(id, events);
    return id;
  }

  @Override
  public void watchJob(WatchJobRequest request, StreamObserver<JobEvent> out) {
    watchCalls.add(request);
    if (watchUnavailable) {
      out.onError(Status.UNAVAILABLE.withDescription("gateway gone").asException());
      return;
    }
    List<JobEvent> events = jobs.get(request.getJobId());
    if (events == null) {
      out.onError(Status.NOT_FOUND.withDescription("no job " + request.getJobId()).asException());
      return;
    }
    send(events, request.getAfterSeq(), out, false);
  }

  private void send(
      List<JobEvent> events, long afterSeq, StreamObserver<JobEvent> out, boolean drop) {
    int sent = 0;
    for (JobEvent event : events) {
      if (event.getSeq() <= afterSeq) {
        continue;
      }
      if (drop && drops > 0 && sent == dropAfterEvents) {
        drops--;
        out.onError(Status.UNAVAILABLE.withDescription("connection reset").asException());
        return;
      }
      out.onNext(event);
      sent++;
    }
    out.onCompleted();
  }

  @Override
  public void getJob(GetJobRequest request, StreamObserver<Job> out) {
    out.onNext(Job.newBuilder().setId(request.getJobId()).setState(JobState.RUNNING).build());
    out.onCompleted();
  }

  @Override
  public void cancelJob(CancelJobRequest request, StreamObserver<Job> out) {
    cancelCalls.add(request);
    out.onNext(Job.newBuilder().setId(request.getJobId()).setState(JobState.CANCELLED).build());
    out.onCompleted();
  }

  @Override
  public void close() {
    server.shutdownNow();
  }

  /**
   * The events of a job that succeeds: queued, started, {@code steps} progress events, a frame
   * event per PNG, the clip in {@code chunkBytes} chunks, completed.
   */
  public static List<JobEvent.Builder> succeeding(
      int steps, List<byte[]> framePngs, byte[] mp4, int chunkBytes, long seed) {
    List<JobEvent.Builder> events = new ArrayList<>();
    events.add(JobEvent.newBuilder().setQueued(Queued.newBuilder().setPosition(0)));
    events.add(JobEvent.newBuilder().setStarted(Started.newBuilder().setNode("fake-node")));
    for (int step = 1; step <= steps; step++) {
      events.add(
          JobEvent.newBuilder()
              .setProgress(Progress.newBuilder().setStep(step).setTotalSteps(steps)));
    }
    for (int i = 0; i < framePngs.size(); i++) {
      events.add(
          JobEvent.newBuilder()
              .setFrame(
                  Frame.newBuilder()
                      .setIndex(i)
                      .setPng(ByteString.copyFrom(framePngs.get(i)))
                      .setWidth(SyntheticClips.SIZE)
                      .setHeight(SyntheticClips.SIZE)));
    }
    for (int offset = 0; offset < mp4.length; offset += chunkBytes) {
      int length = Math.min(chunkBytes, mp4.length - offset);
      events.add(
          JobEvent.newBuilder()
              .setClipChunk(
                  ClipChunk.newBuilder()
                      .setOffset(offset)
                      .setData(ByteString.copyFrom(mp4, offset, length))
                      .setLast(offset + length == mp4.length)
                      .setContentType("video/mp4")));
    }
    ClipInfo info =
        ClipInfo.newBuilder()
            .setContentType("video/mp4")
            .setSizeBytes(mp4.length)
            .setFrameCount(SyntheticClips.FRAMES)
            .setWidth(SyntheticClips.SIZE)
            .setHeight(SyntheticClips.SIZE)
            .setFps((float) SyntheticClips.FPS)
            .build();
    events.add(
        JobEvent.newBuilder()
            .setCompleted(
                Completed.newBuilder()
                    .setSeed(seed)
                    .setGpuSeconds(0.25)
                    .setClipSizeBytes(mp4.length)
                    .setClip(info)));
    return events;
  }
}
