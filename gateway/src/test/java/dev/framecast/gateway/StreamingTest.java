package dev.framecast.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.framecast.api.v1.CancelJobRequest;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.GetJobRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.api.v1.WatchJobRequest;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The full flow through the embedded platform with the real ONNX models, and its streams. */
@QuarkusTest
class StreamingTest extends GrpcTestBase {
  @Test
  void generateStreamsProgressPreviewsFramesAndAPlayableClip() {
    List<JobEvent> events =
        GrpcClient.drain(
            client
                .tenant("acme")
                .generate(
                    GenerateRequest.newBuilder()
                        .setPrompt("a red circle moving right")
                        .setSteps(4)
                        .setPreviewEvery(2)
                        .setIncludeFrames(true)
                        .setSeed(7)
                        .build()));
    for (int i = 0; i < events.size(); i++) {
      assertThat(events.get(i).getSeq()).isEqualTo(i + 1L);
    }
    assertThat(events.get(0).hasQueued()).isTrue();
    assertThat(events).anyMatch(JobEvent::hasStarted);
    assertThat(events)
        .filteredOn(JobEvent::hasProgress)
        .extracting(e -> e.getProgress().getStep())
        .contains(1, 2, 3, 4);
    assertThat(events).anyMatch(e -> !e.getProgress().getPreviewPng().isEmpty());
    assertThat(events).filteredOn(JobEvent::hasFrame).hasSize(16);
    ByteString clip = ByteString.EMPTY;
    for (JobEvent e : events) {
      if (e.hasClipChunk()) {
        assertThat(e.getClipChunk().getOffset()).isEqualTo(clip.size());
        clip = clip.concat(e.getClipChunk().getData());
      }
    }
    assertThat(clip.substring(4, 8).toStringUtf8()).isEqualTo("ftyp");
    JobEvent last = events.get(events.size() - 1);
    assertThat(last.hasCompleted()).isTrue();
    assertThat(last.getCompleted().getSeed()).isEqualTo(7);
    assertThat(last.getCompleted().getGpuSeconds()).isPositive();
    assertThat(last.getCompleted().getClipSizeBytes()).isEqualTo(clip.size());

    Job job =
        client.tenant("acme").getJob(GetJobRequest.newBuilder().setJobId(last.getJobId()).build());
    assertThat(job.getState()).isEqualTo(JobState.SUCCEEDED);
    assertThat(job.getClip().getFrameCount()).isEqualTo(16);
    assertThat(job.getLastSeq()).isEqualTo(last.getSeq());
  }

  @Test
  void aClientThatDisconnectsLeavesTheJobRunningAndWatchJobResumesIt() throws Exception {
    CopyOnWriteArrayList<JobEvent> seen = new CopyOnWriteArrayList<>();
    CountDownLatch firstProgress = new CountDownLatch(1);
    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    client
        .async("globex")
        .generate(
            GenerateRequest.newBuilder().setPrompt("a blue square moving left").setSteps(6).build(),
            new ClientResponseObserver<GenerateRequest, JobEvent>() {
              ClientCallStreamObserver<GenerateRequest> call;

              @Override
              public void beforeStart(ClientCallStreamObserver<GenerateRequest> call) {
                this.call = call;
              }

              @Override
              public void onNext(JobEvent event) {
                seen.add(event);
                if (event.hasProgress()) {
                  firstProgress.countDown();
                  call.cancel("the client went away", null);
                }
              }

              @Override
              public void onError(Throwable t) {
                ended.complete(t);
              }

              @Override
              public void onCompleted() {
                ended.complete(null);
              }
            });
    assertThat(firstProgress.await(60, TimeUnit.SECONDS)).isTrue();
    assertThat(ended.get(10, TimeUnit.SECONDS)).isNotNull(); // cancelled by the client
    JobEvent lastSeen = seen.get(seen.size() - 1);

    List<JobEvent> rest =
        GrpcClient.drain(
            client
                .tenant("globex")
                .watchJob(
                    WatchJobRequest.newBuilder()
                        .setJobId(lastSeen.getJobId())
                        .setAfterSeq(lastSeen.getSeq())
                        .build()));
    assertThat(rest.get(0).getSeq()).isEqualTo(lastSeen.getSeq() + 1);
    assertThat(rest).last().matches(JobEvent::hasCompleted, "the job ran to the end");
    assertThat(rest).noneMatch(JobEvent::hasCancelled);
  }

  @Test
  void cancelFromTheClientEndsTheJobWithACancelledEvent() {
    var acme = client.tenant("acme");
    Job job =
        acme.submitJob(
            GenerateRequest.newBuilder()
                .setPrompt("a white ring moving down")
                .setSteps(100)
                .build());
    Job cancelled =
        acme.cancelJob(
            CancelJobRequest.newBuilder()
                .setJobId(job.getId())
                .setReason("changed my mind")
                .build());
    assertThat(cancelled.getId()).isEqualTo(job.getId());
    List<JobEvent> events =
        GrpcClient.drain(acme.watchJob(WatchJobRequest.newBuilder().setJobId(job.getId()).build()));
    assertThat(events).last().matches(JobEvent::hasCancelled);
    assertThat(events.get(events.size() - 1).getCancelled().getReason())
        .isEqualTo("changed my mind");
    assertThat(acme.getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build()).getState())
        .isEqualTo(JobState.CANCELLED);
    // Cancelling an ended job returns it unchanged.
    assertThat(
            acme.cancelJob(CancelJobRequest.newBuilder().setJobId(job.getId()).build()).getState())
        .isEqualTo(JobState.CANCELLED);
  }

  @Test
  void deleteJobForgetsTheJobForItsTenantOnly() {
    var acme = client.tenant("acme");
    Job job =
        acme.submitJob(
            GenerateRequest.newBuilder().setPrompt("a green ring moving up").setSteps(60).build());
    GetJobRequest get = GetJobRequest.newBuilder().setJobId(job.getId()).build();
    dev.framecast.api.v1.DeleteJobRequest delete =
        dev.framecast.api.v1.DeleteJobRequest.newBuilder().setJobId(job.getId()).build();
    // Another tenant cannot delete it (nor see it).
    assertThat(
            GrpcClient.failure(() -> client.tenant("globex").deleteJob(delete))
                .getStatus()
                .getCode())
        .isEqualTo(io.grpc.Status.Code.NOT_FOUND);
    // Running: cancelled first, then deleted; the job as it was comes back.
    Job deleted = acme.deleteJob(delete);
    assertThat(deleted.getId()).isEqualTo(job.getId());
    assertThat(deleted.getState()).isEqualTo(JobState.CANCELLED);
    assertThat(GrpcClient.failure(() -> acme.getJob(get)).getStatus().getCode())
        .isEqualTo(io.grpc.Status.Code.NOT_FOUND);
    assertThat(GrpcClient.failure(() -> acme.deleteJob(delete)).getStatus().getCode())
        .isEqualTo(io.grpc.Status.Code.NOT_FOUND);
    assertThat(
            GrpcClient.failure(
                    () ->
                        acme.deleteJob(dev.framecast.api.v1.DeleteJobRequest.newBuilder().build()))
                .getStatus()
                .getCode())
        .isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void aClientThatReadsNothingStallsNeitherItsJobNorOthers() throws Exception {
    // A stream that takes one event and then asks for nothing more (manual flow control).
    CopyOnWriteArrayList<JobEvent> slow = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> slowDone = new CompletableFuture<>();
    ClientCallStreamObserver<?>[] slowCall = new ClientCallStreamObserver<?>[1];
    client
        .async("initech")
        .generate(
            GenerateRequest.newBuilder()
                .setPrompt("a yellow circle moving up")
                .setSteps(4)
                .setIncludeFrames(true)
                .build(),
            new ClientResponseObserver<GenerateRequest, JobEvent>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<GenerateRequest> call) {
                slowCall[0] = call;
                call.disableAutoRequestWithInitial(1);
              }

              @Override
              public void onNext(JobEvent event) {
                slow.add(event);
              }

              @Override
              public void onError(Throwable t) {
                slowDone.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                slowDone.complete(null);
              }
            });
    // Meanwhile another tenant's job runs to the end, and so does the slow client's own job.
    List<JobEvent> other =
        GrpcClient.drain(
            client
                .tenant("acme")
                .generate(
                    GenerateRequest.newBuilder()
                        .setPrompt("a purple square moving right")
                        .setSteps(4)
                        .build()));
    assertThat(other).last().matches(JobEvent::hasCompleted);
    String slowJob = slow.get(0).getJobId();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    JobState state;
    do {
      state =
          client
              .tenant("initech")
              .getJob(GetJobRequest.newBuilder().setJobId(slowJob).build())
              .getState();
      Thread.sleep(100);
    } while (state != JobState.SUCCEEDED && System.nanoTime() < deadline);
    assertThat(state).isEqualTo(JobState.SUCCEEDED);
    assertThat(slow).hasSize(1);

    // Asking again delivers everything, in order, from where the client stopped.
    slowCall[0].request(Integer.MAX_VALUE);
    slowDone.get(30, TimeUnit.SECONDS);
    for (int i = 0; i < slow.size(); i++) {
      assertThat(slow.get(i).getSeq()).isEqualTo(i + 1L);
    }
    assertThat(slow).filteredOn(JobEvent::hasFrame).hasSize(16);
    assertThat(slow).last().matches(JobEvent::hasCompleted);
  }
}
