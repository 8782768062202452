package dev.framecast.gateway.backend;

import dev.framecast.api.v1.ClipChunk;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.ListJobsResponse;
import dev.framecast.api.v1.ListModelsResponse;
import dev.framecast.api.v1.Usage;
import dev.framecast.common.Caller;
import dev.framecast.common.tls.TransportSecurity;
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
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Flow;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The scheduler over {@code framecast.scheduler.v1}: each call carries the identity the gateway
 * verified. Unary calls have a deadline; event streams pass the client's demand upstream as gRPC
 * flow control ({@code request(n)}), so a slow browser slows only its own stream, all the way to
 * the scheduler's event log.
 */
public final class RemoteBackend implements Backend {
  /** The most tries of a call the scheduler answered UNAVAILABLE (within the call's deadline). */
  static final int MAX_ATTEMPTS = 8;

  private static final String SERVICE = "framecast.scheduler.v1.Scheduler";

  /**
   * Calls that are safe to repeat are retried on UNAVAILABLE, with exponential backoff: the
   * scheduler restarting, or a standby taking the job store's lease (seconds). Submit is not here:
   * a submission the scheduler took before it went away would be made twice; {@link #submit}
   * retries it only when it carries an idempotency key. Watch is not either: the gateway's client
   * reconnects with the last seq it saw.
   */
  static Map<String, Object> serviceConfig() {
    List<Map<String, Object>> names = new ArrayList<>();
    for (String method :
        List.of(
            "GetJob",
            "ListJobs",
            "Cancel",
            "GetUsage",
            "ListPipelines",
            "GetClip",
            "StatContent",
            "GetContent")) {
      names.add(Map.of("service", SERVICE, "method", method));
    }
    Map<String, Object> retry =
        Map.of(
            "maxAttempts",
            (double) MAX_ATTEMPTS,
            "initialBackoff",
            "0.2s",
            "maxBackoff",
            "2s",
            "backoffMultiplier",
            2.0,
            "retryableStatusCodes",
            List.of("UNAVAILABLE"));
    // Round robin over every address the target resolves to (dns:///NAME:PORT, a headless
    // Service of the leader and its standby): only a subchannel that connected takes calls, and
    // a standby opens its port only when it leads, so calls reach the leader.
    return Map.of(
        "methodConfig",
        List.of(Map.of("name", names, "retryPolicy", retry)),
        "loadBalancingConfig",
        List.of(Map.of("round_robin", Map.of())));
  }

  private final String target;
  private final ManagedChannel channel;
  private final TransportSecurity security;

  static final long RECONNECT_CHECK_MS = 500;

  private final java.util.concurrent.ScheduledExecutorService reconnects =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread thread = new Thread(r, "framecast-scheduler-reconnect");
            thread.setDaemon(true);
            return thread;
          });
  private final long deadlineMillis;

  /**
   * @param security mutual TLS (or plaintext) to the scheduler; closed with this backend
   * @param schedulerName the name the scheduler's certificate must carry
   */
  public RemoteBackend(
      String target, long deadlineMillis, TransportSecurity security, String schedulerName) {
    this.target = target;
    this.deadlineMillis = deadlineMillis;
    this.security = security;
    this.channel =
        NettyChannelBuilder.forTarget(target, security.channel(Set.of(schedulerName)))
            .maxInboundMessageSize(16 << 20)
            .keepAliveTime(30, TimeUnit.SECONDS)
            .defaultServiceConfig(serviceConfig())
            .enableRetry()
            .maxRetryAttempts(MAX_ATTEMPTS)
            .build();
    reconnects.scheduleWithFixedDelay(
        this::reconnectWhileDisconnected,
        RECONNECT_CHECK_MS,
        RECONNECT_CHECK_MS,
        TimeUnit.MILLISECONDS);
  }

  /**
   * Every {@value #RECONNECT_CHECK_MS} ms while no scheduler is connected: reconnect at once
   * instead of after the channel's backoff (and look the name up again). A standby's address
   * refuses connections for as long as it stands by, so its reconnect backoff has grown to the
   * maximum (two minutes) by the time it leads; without this the gateway would find the new leader
   * minutes late. Nothing happens while a scheduler is connected.
   */
  private void reconnectWhileDisconnected() {
    ConnectivityState state = channel.getState(false);
    if (state == ConnectivityState.TRANSIENT_FAILURE) {
      channel.resetConnectBackoff();
    }
  }

  private SchedulerGrpc.SchedulerBlockingStub stub() {
    return SchedulerGrpc.newBlockingStub(channel)
        .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS);
  }

  static dev.framecast.scheduler.v1.Caller wire(Caller caller) {
    return dev.framecast.scheduler.v1.Caller.newBuilder()
        .setTenant(caller.tenant())
        .setSubject(caller.subject())
        .setAdmin(caller.admin())
        .build();
  }

  /**
   * Submits. On UNAVAILABLE a request with an idempotency key is tried again with backoff, within
   * the deadline (the key makes a repeat return the job the first try created); one without a key
   * is not, since the scheduler may have created the job before it went away.
   */
  @Override
  public Job submit(Caller caller, GenerateRequest request) {
    SubmitRequest submit =
        SubmitRequest.newBuilder().setCaller(wire(caller)).setRequest(request).build();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(deadlineMillis);
    long backoffMillis = 200;
    for (int attempt = 1; ; attempt++) {
      try {
        return stub().submit(submit);
      } catch (StatusRuntimeException e) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE
            || request.getIdempotencyKey().isEmpty()
            || attempt >= MAX_ATTEMPTS
            || left <= backoffMillis) {
          throw e;
        }
        sleep(ThreadLocalRandom.current().nextLong(backoffMillis / 2, backoffMillis + 1));
        backoffMillis = Math.min(2_000, backoffMillis * 2);
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
    }
  }

  @Override
  public Job get(Caller caller, String jobId) {
    return stub().getJob(JobRequest.newBuilder().setCaller(wire(caller)).setJobId(jobId).build());
  }

  @Override
  public ListJobsResponse list(Caller caller, dev.framecast.api.v1.ListJobsRequest request) {
    return stub()
        .listJobs(ListJobsRequest.newBuilder().setCaller(wire(caller)).setRequest(request).build());
  }

  @Override
  public Job cancel(Caller caller, String jobId, String reason) {
    return stub()
        .cancel(
            CancelRequest.newBuilder()
                .setCaller(wire(caller))
                .setJobId(jobId)
                .setReason(reason)
                .build());
  }

  @Override
  public Usage usage(Caller caller, String tenant) {
    return stub()
        .getUsage(UsageRequest.newBuilder().setCaller(wire(caller)).setTenant(tenant).build());
  }

  @Override
  public ListModelsResponse models(Caller caller) {
    return stub().listPipelines(ListPipelinesRequest.newBuilder().setCaller(wire(caller)).build());
  }

  @Override
  public Flow.Publisher<JobEvent> events(Caller caller, String jobId, long afterSeq) {
    WatchRequest request =
        WatchRequest.newBuilder()
            .setCaller(wire(caller))
            .setJobId(jobId)
            .setAfterSeq(afterSeq)
            .build();
    return subscriber -> {
      Relay relay = new Relay(subscriber);
      // No deadline: a watch lasts as long as the job; the client's cancellation ends it.
      ClientCalls.asyncServerStreamingCall(
          channel.newCall(SchedulerGrpc.getWatchMethod(), io.grpc.CallOptions.DEFAULT),
          request,
          relay);
      subscriber.onSubscribe(relay);
    };
  }

  /** One upstream Watch call as a subscription: demand becomes gRPC request(n). */
  private static final class Relay
      implements ClientResponseObserver<WatchRequest, JobEvent>, Flow.Subscription {
    private final Flow.Subscriber<? super JobEvent> subscriber;
    private volatile ClientCallStreamObserver<WatchRequest> call;
    private volatile boolean cancelled;

    Relay(Flow.Subscriber<? super JobEvent> subscriber) {
      this.subscriber = subscriber;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> call) {
      this.call = call;
      call.disableAutoRequestWithInitial(0);
    }

    @Override
    public void request(long n) {
      call.request((int) Math.min(n, Integer.MAX_VALUE));
    }

    @Override
    public void cancel() {
      cancelled = true;
      call.cancel("the client went away", null);
    }

    @Override
    public void onNext(JobEvent value) {
      subscriber.onNext(value);
    }

    /**
     * A stream the scheduler reset (CANCELLED that this gateway did not ask for: a scheduler that
     * stopped without ending its streams) is UNAVAILABLE to the client, which reconnects and
     * resumes; CANCELLED would tell it the call was given up on purpose.
     */
    @Override
    public void onError(Throwable t) {
      Status status = Status.fromThrowable(t);
      if (!cancelled && status.getCode() == Status.Code.CANCELLED) {
        subscriber.onError(
            Status.UNAVAILABLE
                .withDescription(
                    "the scheduler ended the stream (it is stopping or moved); reconnect and"
                        + " resume with WatchJob after_seq")
                .withCause(t)
                .asRuntimeException());
        return;
      }
      subscriber.onError(t);
    }

    @Override
    public void onCompleted() {
      subscriber.onComplete();
    }
  }

  /** How long one download may take from the scheduler (a slow client slows it down). */
  static final long CONTENT_DEADLINE_MINUTES = 30;

  @Override
  public Content content(Caller caller, String jobId, String variant) {
    ContentRequest request =
        ContentRequest.newBuilder()
            .setCaller(wire(caller))
            .setJobId(jobId)
            .setVariant(variant)
            .build();
    ContentInfo info = stub().statContent(request);
    return new Content() {
      @Override
      public String contentType() {
        return info.getContentType();
      }

      @Override
      public long size() {
        return info.getSize();
      }

      @Override
      public String etag() {
        return info.getEtag();
      }

      /**
       * Each chunk is written before the next is asked for (the blocking stub requests one message
       * at a time), so a slow client holds one chunk here; a client that goes away cancels the
       * scheduler's stream.
       */
      @Override
      public void copyTo(long offset, long length, java.io.OutputStream out)
          throws java.io.IOException {
        ContentRequest range = request.toBuilder().setOffset(offset).setLength(length).build();
        io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
        io.grpc.Context previous = context.attach();
        try {
          Iterator<ClipChunk> chunks =
              SchedulerGrpc.newBlockingStub(channel)
                  .withDeadlineAfter(CONTENT_DEADLINE_MINUTES, TimeUnit.MINUTES)
                  .getContent(range);
          long expected = offset;
          while (chunks.hasNext()) {
            ClipChunk chunk = chunks.next();
            if (chunk.getOffset() != expected
                || expected + chunk.getData().size() > offset + length) {
              throw Status.INTERNAL
                  .withDescription(
                      "the scheduler sent the " + variant + " of job '" + jobId + "' out of order")
                  .asRuntimeException();
            }
            chunk.getData().writeTo(out);
            expected += chunk.getData().size();
          }
          if (expected != offset + length) {
            throw new java.io.EOFException(
                "the scheduler ended the " + variant + " of job '" + jobId + "' early");
          }
        } finally {
          context.detach(previous);
          context.cancel(null);
        }
      }
    };
  }

  @Override
  public Job delete(Caller caller, String jobId) {
    return stub().delete(JobRequest.newBuilder().setCaller(wire(caller)).setJobId(jobId).build());
  }

  @Override
  public boolean ready() {
    // Asking for the state also (re)connects an idle channel, so the next probe can pass.
    return channel.getState(true) == ConnectivityState.READY;
  }

  @Override
  public String describe() {
    return "scheduler at " + target + " over " + security.describe();
  }

  @Override
  public void close() {
    reconnects.shutdownNow();
    security.close();
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      channel.shutdownNow();
    }
  }
}
