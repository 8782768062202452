package dev.framecast.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.framecast.api.v1.CancelJobRequest;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.WatchJobRequest;
import dev.framecast.gateway.drain.Drain;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A stopping gateway ({@link Drain}) ends its event streams asking clients to reconnect, and a
 * client that resumes where the ended stream stopped misses nothing and sees nothing twice.
 */
@QuarkusTest
class DrainTest extends GrpcTestBase {
  @Inject Drain drain;

  /** The name an SSE {@code event:} line gives, or "". */
  private static String event(String line) {
    return line.startsWith("event:") ? line.substring(6).trim() : "";
  }

  @Test
  void endedStreamsNameTheSeqToResumeAfterAndResumingLosesNothing() throws Exception {
    var acme = client.tenant("acme");
    Job job =
        acme.submitJob(
            GenerateRequest.newBuilder()
                .setPrompt("a green circle moving up")
                .setSteps(100)
                .setPreviewEvery(0)
                .build());

    // A gRPC watcher and a browser-style SSE reader, both past the job's first progress event.
    CopyOnWriteArrayList<JobEvent> grpcSeen = new CopyOnWriteArrayList<>();
    CountDownLatch grpcProgress = new CountDownLatch(1);
    CompletableFuture<Throwable> grpcEnd = new CompletableFuture<>();
    client
        .async("acme")
        .watchJob(
            WatchJobRequest.newBuilder().setJobId(job.getId()).build(),
            new StreamObserver<>() {
              @Override
              public void onNext(JobEvent event) {
                grpcSeen.add(event);
                if (event.hasProgress()) {
                  grpcProgress.countDown();
                }
              }

              @Override
              public void onError(Throwable t) {
                grpcEnd.complete(t);
              }

              @Override
              public void onCompleted() {
                grpcEnd.complete(null);
              }
            });
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    CountDownLatch sseProgress = new CountDownLatch(1);
    CopyOnWriteArrayList<String> sseLines = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> sseEnd =
        http.sendAsync(
                HttpRequest.newBuilder(URI.create(url + "v1/jobs/" + job.getId() + "/events"))
                    .header("Authorization", "Bearer " + Tokens.user("acme"))
                    .build(),
                HttpResponse.BodyHandlers.ofLines())
            .thenAccept(
                response -> {
                  try (Stream<String> lines = response.body()) {
                    lines.forEach(
                        line -> {
                          sseLines.add(line);
                          if (event(line).equals("progress")) {
                            sseProgress.countDown();
                          }
                        });
                  }
                });
    assertThat(grpcProgress.await(60, TimeUnit.SECONDS)).isTrue();
    assertThat(sseProgress.await(60, TimeUnit.SECONDS)).isTrue();
    assertThat(drain.openStreams()).isGreaterThanOrEqualTo(2);

    drain.endStreams();

    // gRPC: UNAVAILABLE, RetryInfo, and the seq of the last event the stream delivered.
    Throwable grpcError = grpcEnd.get(10, TimeUnit.SECONDS);
    assertThat(grpcError).isInstanceOf(StatusRuntimeException.class);
    assertThat(Status.fromThrowable(grpcError).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    com.google.rpc.Status details = StatusProto.fromThrowable(grpcError);
    ErrorInfo info = null;
    RetryInfo retry = null;
    for (var detail : details.getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        info = detail.unpack(ErrorInfo.class);
      } else if (detail.is(RetryInfo.class)) {
        retry = detail.unpack(RetryInfo.class);
      }
    }
    assertThat(info).isNotNull();
    assertThat(info.getReason()).isEqualTo("GATEWAY_STOPPING");
    long grpcLast = grpcSeen.get(grpcSeen.size() - 1).getSeq();
    assertThat(info.getMetadataMap()).containsEntry("after_seq", Long.toString(grpcLast));
    assertThat(retry).isNotNull();
    for (int i = 0; i < grpcSeen.size(); i++) {
      assertThat(grpcSeen.get(i).getSeq()).isEqualTo(i + 1L);
    }

    // SSE: a final reconnect event (no id, a retry hint, the seq to resume after), then the end.
    sseEnd.get(10, TimeUnit.SECONDS);
    List<String> lines = new ArrayList<>(sseLines);
    int reconnect = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (event(lines.get(i)).equals("reconnect")) {
        reconnect = i;
      }
    }
    assertThat(reconnect).as("a reconnect event in %s", lines).isPositive();
    String lastId = null;
    for (String line : lines.subList(0, reconnect)) {
      if (line.startsWith("id:")) {
        lastId = line.substring(3).trim();
      }
    }
    String resumeAfter = "\"afterSeq\":\"" + lastId + "\"";
    List<String> reconnectEvent = lines.subList(reconnect, lines.size());
    assertThat(reconnectEvent).noneMatch(line -> line.startsWith("id:"));
    assertThat(reconnectEvent).anyMatch(line -> line.startsWith("retry:"));
    assertThat(reconnectEvent)
        .anyMatch(line -> line.startsWith("data:") && line.contains(resumeAfter));
    assertThat(lines.subList(reconnect + 1, lines.size())).noneMatch(l -> l.startsWith("event:"));

    // Still ready: only a stopping gateway reports DOWN. Resuming after the last seq continues the
    // sequence without a gap or a repeat, to the job's end.
    assertThat(drain.stopping()).isFalse();
    acme.cancelJob(CancelJobRequest.newBuilder().setJobId(job.getId()).build());
    List<JobEvent> rest =
        GrpcClient.drain(
            acme.watchJob(
                WatchJobRequest.newBuilder().setJobId(job.getId()).setAfterSeq(grpcLast).build()));
    assertThat(rest.get(0).getSeq()).isEqualTo(grpcLast + 1);
    for (int i = 1; i < rest.size(); i++) {
      assertThat(rest.get(i).getSeq()).isEqualTo(rest.get(i - 1).getSeq() + 1);
    }
    assertThat(rest).last().matches(JobEvent::hasCancelled, "the job's end");
    assertThat(drain.openStreams()).isZero();
    assertThat(Duration.ofSeconds(retry.getRetryDelay().getSeconds()))
        .isLessThanOrEqualTo(Duration.ofSeconds(5));
  }
}
