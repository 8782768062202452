package dev.framecast.gateway.bench;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.VideoGenerationGrpc;
import dev.framecast.api.v1.WatchJobRequest;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The client side of the benchmark: plain grpc-java on Netty, several connections, jobs submitted
 * with SubmitJob and watched by many WatchJob streams. For every event received it records the lag
 * from the event's timestamp (the simulated backend stamps it when it appends it to the job's event
 * log) to now, in microseconds; both clocks are this machine's.
 */
final class StreamLoad implements AutoCloseable {
  private static final long MAX_LAG_MICROS = TimeUnit.MINUTES.toMicros(10);

  private final List<ManagedChannel> channels = new ArrayList<>();
  private final Map<String, CallCredentials> tokens = new ConcurrentHashMap<>();
  private final List<ClientCallStreamObserver<WatchJobRequest>> calls = new ArrayList<>();
  private final Recorder lag = new Recorder(MAX_LAG_MICROS, 3);
  private final LongAdder events = new LongAdder();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger endedEarly = new AtomicInteger();
  private final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
  private final AtomicLong firstError = new AtomicLong();
  private volatile String firstErrorText = "";
  private volatile long measureFromMicros = Long.MAX_VALUE;

  StreamLoad(String host, int port, int channelCount, Map<String, String> tenantTokens) {
    for (int i = 0; i < channelCount; i++) {
      channels.add(
          NettyChannelBuilder.forAddress(host, port)
              .usePlaintext()
              // Recording a lag is cheap and thread-safe: no executor hop per message.
              .directExecutor()
              .build());
    }
    tenantTokens.forEach((tenant, token) -> tokens.put(tenant, bearer(token)));
  }

  /** Submits {@code count} jobs with {@code steps} steps, round-robin over the tenants. */
  List<Job> submit(int count, int steps, List<String> tenants) throws InterruptedException {
    List<Job> jobs = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String tenant = tenants.get(i % tenants.size());
      Job job =
          VideoGenerationGrpc.newBlockingStub(channels.get(i % channels.size()))
              .withCallCredentials(tokens.get(tenant))
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .submitJob(
                  GenerateRequest.newBuilder()
                      .setPrompt("benchmark job " + i)
                      .setSteps(steps)
                      .build());
      jobs.add(job);
    }
    return jobs;
  }

  /**
   * Opens {@code count} WatchJob streams spread evenly over the jobs and round-robin over the
   * connections, at most {@code concurrency} awaiting their first event at a time; returns when all
   * are open or failed, or at the deadline. Each stream starts near its job's newest event, as a
   * client that had seen the history would: replaying every job's growing history to each new
   * stream would measure replays, not live lag. The simulated backend appends a job's n-th event
   * n-1 step intervals after its creation, so the last seq is known from the clock; starting two
   * events early replays at most a few (their old timestamps fall before the measured window).
   */
  void open(int count, List<Job> jobs, Duration stepInterval, int concurrency, long timeoutSeconds)
      throws InterruptedException {
    Semaphore opening = new Semaphore(concurrency);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    int opened = 0;
    for (int j = 0; j < jobs.size() && opened < count; j++) {
      Job job = jobs.get(j);
      int streams = count / jobs.size() + (j < count % jobs.size() ? 1 : 0);
      for (int k = 0; k < streams; k++) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !opening.tryAcquire(left, TimeUnit.NANOSECONDS)) {
          return;
        }
        long age = nowMicros() - micros(job.getCreatedTime());
        long lastSeq = 1 + age / (stepInterval.toNanos() / 1000);
        watch(channels.get(opened % channels.size()), job, Math.max(0, lastSeq - 2), opening);
        opened++;
      }
    }
    long left = deadline - System.nanoTime();
    if (left > 0 && opening.tryAcquire(concurrency, left, TimeUnit.NANOSECONDS)) {
      opening.release(concurrency);
    }
  }

  private static long micros(com.google.protobuf.Timestamp time) {
    return time.getSeconds() * 1_000_000L + time.getNanos() / 1_000;
  }

  private void watch(ManagedChannel channel, Job job, long afterSeq, Semaphore opening) {
    VideoGenerationGrpc.newStub(channel)
        .withCallCredentials(tokens.get(job.getTenant()))
        .watchJob(
            WatchJobRequest.newBuilder().setJobId(job.getId()).setAfterSeq(afterSeq).build(),
            new ClientResponseObserver<WatchJobRequest, JobEvent>() {
              private boolean confirmed;

              @Override
              public void beforeStart(ClientCallStreamObserver<WatchJobRequest> call) {
                synchronized (calls) {
                  calls.add(call);
                }
              }

              @Override
              public void onNext(JobEvent event) {
                long now = nowMicros();
                if (!confirmed) {
                  confirmed = true;
                  open.incrementAndGet();
                  opening.release();
                }
                long stamped = micros(event.getTime());
                if (stamped >= measureFromMicros) {
                  lag.recordValue(Math.min(MAX_LAG_MICROS, Math.max(0, now - stamped)));
                  events.increment();
                }
              }

              @Override
              public void onError(Throwable t) {
                ended();
                Status status = Status.fromThrowable(t);
                errors
                    .computeIfAbsent(status.getCode().name(), c -> new AtomicInteger())
                    .incrementAndGet();
                if (firstError.compareAndSet(0, 1)) {
                  firstErrorText = status.toString();
                }
              }

              @Override
              public void onCompleted() {
                ended();
                endedEarly.incrementAndGet();
              }

              private void ended() {
                if (confirmed) {
                  open.decrementAndGet();
                } else {
                  opening.release();
                }
              }
            });
  }

  /** From now on, events stamped from now are measured; the lag histogram starts empty. */
  void startMeasuring() {
    measureFromMicros = nowMicros();
    lag.reset();
    events.reset();
  }

  /** The lag of events received since the last call (or startMeasuring). */
  Histogram interval() {
    return lag.getIntervalHistogram();
  }

  long eventsSinceStart() {
    return events.sum();
  }

  int openStreams() {
    return open.get();
  }

  int endedEarly() {
    return endedEarly.get();
  }

  Map<String, AtomicInteger> errors() {
    return errors;
  }

  String firstError() {
    return firstErrorText;
  }

  /** Cancels every stream (the client went away); the gateway should close them all. */
  void cancelAll() {
    synchronized (calls) {
      for (ClientCallStreamObserver<WatchJobRequest> call : calls) {
        call.cancel("benchmark over", null);
      }
    }
  }

  static long nowMicros() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  private static CallCredentials bearer(String token) {
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(
          RequestInfo info, Executor executor, MetadataApplier applier) {
        applier.apply(headers);
      }
    };
  }

  @Override
  public void close() {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
    }
    try {
      for (ManagedChannel channel : channels) {
        channel.awaitTermination(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
