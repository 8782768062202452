package dev.framecast.node;

import static dev.framecast.node.NodeClient.checkSimple;
import static dev.framecast.node.NodeClient.simple;
import static dev.framecast.node.NodeClient.statusOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.inference.v2.InferParameter;
import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.inference.v2.ModelStatistics;
import dev.framecast.inference.v2.ModelStatisticsRequest;
import dev.framecast.inference.v2.ModelStreamInferResponse;
import dev.framecast.node.repository.ModelVersion;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Scheduling inside the node over real gRPC: dynamic batching merges concurrent requests, the queue
 * is bounded, queued requests time out or are dropped when their RPC is cancelled, and the stream
 * answers in order with errors in-band.
 */
class SchedulingTest {
  private static InferenceNode node;
  private static NodeClient client;

  @BeforeAll
  static void start() throws Exception {
    node =
        InferenceNode.start(
            NodeOptions.builder(ConformanceTest.REPOSITORY)
                .host("127.0.0.1")
                .port(0)
                .metricsPort(-1)
                .build());
    client = new NodeClient(node.port());
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  void concurrentRequestsAreMergedIntoFewExecutions() throws Exception {
    ModelStatistics before = stats("simple");
    List<CompletableFuture<ModelInferResponse>> futures = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      futures.add(CompletableFuture.supplyAsync(inferFn("simple", 1, i * 100f)));
    }
    for (int i = 0; i < 8; i++) {
      checkSimple(futures.get(i).get(30, TimeUnit.SECONDS), 1, i * 100f);
    }
    ModelStatistics after = stats("simple");
    long executions = after.getExecutionCount() - before.getExecutionCount();
    assertThat(after.getInferenceCount() - before.getInferenceCount()).isEqualTo(8);
    // With preferred sizes 4 and 8 and a 200 ms delay, 8 concurrent requests run in a few
    // executions, not 8 (each execution is visible in ModelStatistics).
    assertThat(executions).isBetween(1L, 4L);
    assertThat(after.getBatchStatsList()).anyMatch(b -> b.getBatchSize() > 1);
    assertThat(
            after.getInferenceStats().getSuccess().getCount()
                - before.getInferenceStats().getSuccess().getCount())
        .isEqualTo(8);
  }

  @Test
  void thirtyTwoConcurrentClientsGetTheSameResultsAsSerialOnes() throws Exception {
    List<ModelInferResponse> serial = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      serial.add(client.blocking().modelInfer(simple("simple", "c" + i, 1 + i % 3, i * 7f)));
    }
    List<CompletableFuture<ModelInferResponse>> concurrent = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      int index = i;
      concurrent.add(
          CompletableFuture.supplyAsync(
              () ->
                  client
                      .blocking()
                      .modelInfer(simple("simple", "c" + index, 1 + index % 3, index * 7f))));
    }
    for (int i = 0; i < 32; i++) {
      ModelInferResponse response = concurrent.get(i).get(60, TimeUnit.SECONDS);
      assertThat(response.getId()).isEqualTo("c" + i);
      assertThat(response).isEqualTo(serial.get(i));
    }
  }

  @Test
  void fullQueueRejectsCancelledRequestsAreDroppedAndFreeTheirPlace() throws Exception {
    ModelVersion queued = node.repository().resolve("queued", "");
    ModelStatistics before = stats("queued");
    // Two requests wait in the queue (the model waits 10 s for a batch of 8; the queue holds 2).
    Context.CancellableContext first = Context.current().withCancellation();
    Context.CancellableContext second = Context.current().withCancellation();
    BlockingQueue<Status> outcomes = new LinkedBlockingQueue<>();
    first.run(() -> client.async().modelInfer(simple("queued", "q1", 1, 0f), recorder(outcomes)));
    second.run(() -> client.async().modelInfer(simple("queued", "q2", 1, 0f), recorder(outcomes)));
    awaitQueued(queued, 2);

    Status full = statusOf(() -> client.blocking().modelInfer(simple("queued", "q3", 1, 0f)));
    assertThat(full.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(full.getDescription()).isEqualTo("[request id: q3] Exceeds maximum queue size");

    first.cancel(null);
    second.cancel(null);
    assertThat(outcomes.poll(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(outcomes.poll(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.CANCELLED);
    awaitQueued(queued, 0);
    ModelStatistics after = stats("queued");
    // Dropped from the queue: counted as failures and never executed.
    assertThat(
            after.getInferenceStats().getFail().getCount()
                - before.getInferenceStats().getFail().getCount())
        .isEqualTo(2);
    assertThat(after.getExecutionCount()).isEqualTo(before.getExecutionCount());
  }

  @Test
  void queuedRequestPastItsTimeoutIsRejected() {
    ModelInferRequest request =
        simple("queued", "t1", 1, 0f).toBuilder()
            .putParameters("timeout", InferParameter.newBuilder().setInt64Param(100_000).build())
            .build();
    Status status = statusOf(() -> client.blocking().modelInfer(request));
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(status.getDescription()).isEqualTo("Request timeout expired");
  }

  @Test
  void streamAnswersInRequestOrderWithErrorsInBandAndStaysOpen() throws Exception {
    BlockingQueue<ModelStreamInferResponse> responses = new LinkedBlockingQueue<>();
    CountDownLatch completed = new CountDownLatch(1);
    StreamObserver<ModelInferRequest> requests =
        client
            .async()
            .modelStreamInfer(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ModelStreamInferResponse value) {
                    responses.add(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    completed.countDown();
                  }

                  @Override
                  public void onCompleted() {
                    completed.countDown();
                  }
                });
    requests.onNext(simple("simple", "s1", 2, 1f));
    requests.onNext(simple("no_such_model", "s2", 1, 0f));
    requests.onNext(simple("simple", "s3", 1, 50f));

    ModelStreamInferResponse one = responses.poll(30, TimeUnit.SECONDS);
    ModelStreamInferResponse two = responses.poll(30, TimeUnit.SECONDS);
    ModelStreamInferResponse three = responses.poll(30, TimeUnit.SECONDS);
    assertThat(one.getErrorMessage()).isEmpty();
    checkSimple(one.getInferResponse(), 2, 1f);
    assertThat(one.getInferResponse().getId()).isEqualTo("s1");
    assertThat(two.getErrorMessage())
        .isEqualTo("Request for unknown model: 'no_such_model' is not found");
    assertThat(two.getInferResponse().getId()).isEqualTo("s2");
    checkSimple(three.getInferResponse(), 1, 50f);

    // Still open after an error: another request is answered.
    requests.onNext(simple("simple", "s4", 1, 3f));
    ModelStreamInferResponse four = responses.poll(30, TimeUnit.SECONDS);
    assertThat(four.getInferResponse().getId()).isEqualTo("s4");
    requests.onCompleted();
    assertThat(completed.await(10, TimeUnit.SECONDS)).isTrue();
  }

  private static java.util.function.Supplier<ModelInferResponse> inferFn(
      String model, int batch, float start) {
    return () -> client.blocking().modelInfer(simple(model, "", batch, start));
  }

  private static StreamObserver<ModelInferResponse> recorder(BlockingQueue<Status> outcomes) {
    return new StreamObserver<>() {
      @Override
      public void onNext(ModelInferResponse value) {}

      @Override
      public void onError(Throwable t) {
        outcomes.add(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        outcomes.add(Status.OK);
      }
    };
  }

  private static void awaitQueued(ModelVersion version, int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (version.scheduler().queued() != count && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(version.scheduler().queued()).isEqualTo(count);
  }

  private static ModelStatistics stats(String model) {
    return client
        .blocking()
        .modelStatistics(ModelStatisticsRequest.newBuilder().setName(model).build())
        .getModelStats(0);
  }
}
