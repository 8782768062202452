package dev.framecast.gateway.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.common.Caller;
import dev.framecast.scheduler.v1.JobRequest;
import dev.framecast.scheduler.v1.SchedulerGrpc;
import dev.framecast.scheduler.v1.SubmitRequest;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway rides over a scheduler that is briefly unavailable (a restart, a standby taking the
 * lease): calls that are safe to repeat are retried on UNAVAILABLE with backoff, and so is a
 * submission with an idempotency key; a submission without one is not (it might have been created),
 * and the client gets the UNAVAILABLE.
 */
class RemoteBackendRetryTest {
  private static final Caller ACME = new Caller("acme", "test", false);

  private final AtomicInteger unavailableLeft = new AtomicInteger();
  private final AtomicInteger getCalls = new AtomicInteger();
  private final AtomicInteger submitCalls = new AtomicInteger();
  private Server server;
  private RemoteBackend backend;

  @BeforeEach
  void start() throws Exception {
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                new SchedulerGrpc.SchedulerImplBase() {
                  @Override
                  public void getJob(JobRequest request, StreamObserver<Job> response) {
                    getCalls.incrementAndGet();
                    answer(Job.newBuilder().setId(request.getJobId()).build(), response);
                  }

                  @Override
                  public void submit(SubmitRequest request, StreamObserver<Job> response) {
                    submitCalls.incrementAndGet();
                    answer(Job.newBuilder().setId("job-1").build(), response);
                  }
                })
            .build()
            .start();
    backend =
        new RemoteBackend(
            "127.0.0.1:" + server.getPort(),
            10_000,
            dev.framecast.common.tls.TransportSecurity.insecure("the test's gateway"),
            "framecast-scheduler");
  }

  private void answer(Job job, StreamObserver<Job> response) {
    if (unavailableLeft.getAndDecrement() > 0) {
      response.onError(Status.UNAVAILABLE.withDescription("no leader yet").asRuntimeException());
    } else {
      response.onNext(job);
      response.onCompleted();
    }
  }

  @AfterEach
  void stop() {
    backend.close();
    server.shutdownNow();
  }

  @Test
  void readsAreRetriedOnUnavailable() {
    unavailableLeft.set(3);
    assertThat(backend.get(ACME, "job-7").getId()).isEqualTo("job-7");
    assertThat(getCalls).hasValue(4);
  }

  @Test
  void aKeyedSubmissionIsRetriedAndAnUnkeyedOneIsNot() {
    GenerateRequest request = GenerateRequest.newBuilder().setPrompt("a red circle").build();
    unavailableLeft.set(1);
    assertThatThrownBy(() -> backend.submit(ACME, request))
        .isInstanceOf(StatusRuntimeException.class)
        .extracting(e -> ((StatusRuntimeException) e).getStatus().getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(submitCalls).hasValue(1);

    unavailableLeft.set(2);
    submitCalls.set(0);
    assertThat(backend.submit(ACME, request.toBuilder().setIdempotencyKey("k-1").build()).getId())
        .isEqualTo("job-1");
    assertThat(submitCalls).hasValue(3);
  }

  @Test
  void retriesEndWithTheDeadline() {
    unavailableLeft.set(Integer.MAX_VALUE);
    RemoteBackend hurried =
        new RemoteBackend(
            "127.0.0.1:" + server.getPort(),
            1_000,
            dev.framecast.common.tls.TransportSecurity.insecure("the test's gateway"),
            "framecast-scheduler");
    try {
      long start = System.nanoTime();
      assertThatThrownBy(() -> hurried.get(ACME, "job-7"))
          .isInstanceOf(StatusRuntimeException.class);
      assertThat((System.nanoTime() - start) / 1e9).as("seconds").isLessThan(5);
    } finally {
      hurried.close();
    }
    assertThat(getCalls.get()).isBetween(2, RemoteBackend.MAX_ATTEMPTS);
  }
}
