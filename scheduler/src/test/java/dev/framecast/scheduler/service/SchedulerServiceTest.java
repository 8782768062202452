package dev.framecast.scheduler.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.BadRequest;
import com.google.rpc.RetryInfo;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.api.v1.ListJobsResponse;
import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.scheduler.SchedulerServer;
import dev.framecast.scheduler.engine.ClipRenderer;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import dev.framecast.scheduler.v1.Caller;
import dev.framecast.scheduler.v1.JobRequest;
import dev.framecast.scheduler.v1.ListJobsRequest;
import dev.framecast.scheduler.v1.SchedulerGrpc;
import dev.framecast.scheduler.v1.SubmitRequest;
import dev.framecast.scheduler.v1.WatchRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** framecast.scheduler.v1 in-process, over a real inference node. */
class SchedulerServiceTest {
  @TempDir static Path dir;
  private static InferenceNode node;
  private static SchedulerServer scheduler;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    Path repository = Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
    node =
        InferenceNode.start(
            NodeOptions.builder(repository).host("127.0.0.1").port(0).metricsPort(-1).build());
    Path tenants = dir.resolve("tenants.yaml");
    Files.writeString(
        tenants,
        """
        defaults: { max_concurrent_jobs: 4, max_queued_jobs: 50, requests_per_minute: 600, burst: 100 }
        tenants:
          acme: { weight: 2 }
          globex: { weight: 1 }
          tiny: { weight: 1, max_queued_jobs: 2 }
          streamy: { weight: 1, max_open_streams: 2 }
          poller: { weight: 1, reads_per_minute: 60, read_burst: 3 }
          batchy: { weight: 1, priorities: [batch], default_priority: batch }
        """);
    scheduler =
        new SchedulerServer(
                new SchedulerServer.Options(
                    List.of("127.0.0.1:" + node.port()),
                    List.of(PipelineSpec.reference()),
                    tenants,
                    dir.resolve("clips"),
                    Duration.ofDays(7),
                    EngineConfig.defaults(),
                    1),
                new FakeRenderer())
            .serve(InProcessServerBuilder.forName("scheduler-test").directExecutor());
    channel = InProcessChannelBuilder.forName("scheduler-test").directExecutor().build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (scheduler != null) {
      scheduler.close();
    }
    if (node != null) {
      node.close();
    }
  }

  private static SchedulerGrpc.SchedulerBlockingStub stub() {
    return SchedulerGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
  }

  private static Caller caller(String tenant) {
    return Caller.newBuilder().setTenant(tenant).setSubject("test-" + tenant).build();
  }

  private static Job submit(String tenant, GenerateRequest request) {
    return stub()
        .submit(SubmitRequest.newBuilder().setCaller(caller(tenant)).setRequest(request).build());
  }

  private static List<JobEvent> watch(String tenant, String jobId, long after) {
    List<JobEvent> events = new ArrayList<>();
    Iterator<JobEvent> it =
        stub()
            .watch(
                WatchRequest.newBuilder()
                    .setCaller(caller(tenant))
                    .setJobId(jobId)
                    .setAfterSeq(after)
                    .build());
    it.forEachRemaining(events::add);
    return events;
  }

  @Test
  void anIdempotencyKeyReturnsTheOriginalJobAndRefusesADifferentRequest() {
    GenerateRequest request =
        GenerateRequest.newBuilder()
            .setPrompt("a blue square moving up")
            .setSteps(2)
            .setIdempotencyKey("retry-me-1")
            .build();
    Job first = submit("acme", request);
    Job again = submit("acme", request);
    assertThat(again.getId()).isEqualTo(first.getId());
    // The seed drawn for the first submission is the job's; a retry does not draw another.
    assertThat(again.getSeed()).isEqualTo(first.getSeed());

    // Keys are per tenant: globex's same key is its own job.
    Job other = submit("globex", request);
    assertThat(other.getId()).isNotEqualTo(first.getId());

    StatusRuntimeException changed =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> submit("acme", request.toBuilder().setSteps(3).build()));
    assertThat(changed.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    BadRequest bad = detail(changed, BadRequest.class);
    assertThat(bad.getFieldViolations(0).getField()).isEqualTo("idempotency_key");
    assertThat(bad.getFieldViolations(0).getDescription()).contains(first.getId());
    watch("acme", first.getId(), 0);
    watch("globex", other.getId(), 0);
  }

  @Test
  void submitFillsDefaultsAndWatchFollowsTheJobToItsEnd() {
    Job job =
        submit(
            "acme",
            GenerateRequest.newBuilder()
                .setPrompt("a red circle moving right")
                .setSteps(2)
                .build());
    assertThat(job.getRequest().getModel()).isEqualTo("reference");
    // The DiT config's default_guidance_scale.
    assertThat(job.getRequest().getGuidanceScale()).isEqualTo(2.0f);
    assertThat(job.getRequest().hasSeed()).isTrue();
    assertThat(job.getTotalSteps()).isEqualTo(2);

    List<JobEvent> events = watch("acme", job.getId(), 0);
    assertThat(events.get(events.size() - 1).hasCompleted()).isTrue();
    assertThat(events.get(0).getSeq()).isEqualTo(1);
    // Resume after a dropped stream: only what came after.
    List<JobEvent> tail = watch("acme", job.getId(), 2);
    assertThat(tail).isEqualTo(events.subList(2, events.size()));
    Job done =
        stub()
            .getJob(
                JobRequest.newBuilder().setCaller(caller("acme")).setJobId(job.getId()).build());
    assertThat(done.getState()).isEqualTo(JobState.SUCCEEDED);
    assertThat(done.getGpuSeconds()).isPositive();
  }

  @Test
  void anotherTenantsJobIsNotFound() {
    Job job =
        submit(
            "acme",
            GenerateRequest.newBuilder().setPrompt("a blue square moving up").setSteps(1).build());
    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () ->
                stub()
                    .getJob(
                        JobRequest.newBuilder()
                            .setCaller(caller("globex"))
                            .setJobId(job.getId())
                            .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    StatusRuntimeException watch =
        catchThrowableOfType(StatusRuntimeException.class, () -> watch("globex", job.getId(), 0));
    assertThat(watch.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    watch("acme", job.getId(), 0);
  }

  @Test
  void badRequestsAreRejectedWithFieldViolationsAndQueueNothing() {
    int before = scheduler.engine().jobs("acme").size();
    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () ->
                submit(
                    "acme",
                    GenerateRequest.newBuilder()
                        .setPrompt("")
                        .setSteps(999)
                        .setGuidanceScale(Float.NaN)
                        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    BadRequest bad = detail(e, BadRequest.class);
    assertThat(bad.getFieldViolationsList())
        .extracting(v -> v.getField())
        .containsExactlyInAnyOrder("prompt", "steps", "guidance_scale");
    assertThat(scheduler.engine().jobs("acme")).hasSize(before);

    StatusRuntimeException unknownTenant =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> submit("nobody", GenerateRequest.newBuilder().setPrompt("x").build()));
    assertThat(unknownTenant.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void overTheQueuedJobsQuotaTheAnswerSaysWhenToRetry() {
    GenerateRequest slow =
        GenerateRequest.newBuilder().setPrompt("a white circle moving down").setSteps(30).build();
    Job first = submit("tiny", slow);
    Job second = submit("tiny", slow);
    StatusRuntimeException e =
        catchThrowableOfType(StatusRuntimeException.class, () -> submit("tiny", slow));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(
            detail(e, RetryInfo.class).getRetryDelay().getSeconds()
                + detail(e, RetryInfo.class).getRetryDelay().getNanos())
        .isPositive();
    for (Job job : List.of(first, second)) {
      stub()
          .cancel(
              dev.framecast.scheduler.v1.CancelRequest.newBuilder()
                  .setCaller(caller("tiny"))
                  .setJobId(job.getId())
                  .build());
      List<JobEvent> events = watch("tiny", job.getId(), 0);
      assertThat(events.get(events.size() - 1).hasCancelled()).isTrue();
    }
  }

  /** A Watch that reads nothing and stays open until cancelled. */
  private static io.grpc.stub.ClientCallStreamObserver<WatchRequest> holdOpen(
      String tenant, String jobId) {
    @SuppressWarnings("unchecked")
    io.grpc.stub.ClientCallStreamObserver<WatchRequest>[] call =
        new io.grpc.stub.ClientCallStreamObserver[1];
    SchedulerGrpc.newStub(channel)
        .watch(
            WatchRequest.newBuilder().setCaller(caller(tenant)).setJobId(jobId).build(),
            new io.grpc.stub.ClientResponseObserver<WatchRequest, JobEvent>() {
              @Override
              public void beforeStart(io.grpc.stub.ClientCallStreamObserver<WatchRequest> c) {
                call[0] = c;
                c.disableAutoRequestWithInitial(1);
              }

              @Override
              public void onNext(JobEvent value) {}

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            });
    return call[0];
  }

  private static void awaitOpenStreams(String tenant, int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (scheduler.core().openStreams(tenant) != count) {
      assertThat(System.nanoTime()).as("%s open streams of %s", count, tenant).isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  @Test
  void aTenantHoldsAtMostItsMaxOpenStreams() throws Exception {
    Job job =
        submit(
            "streamy",
            GenerateRequest.newBuilder().setPrompt("a slow blue circle").setSteps(100).build());
    var first = holdOpen("streamy", job.getId());
    var second = holdOpen("streamy", job.getId());
    awaitOpenStreams("streamy", 2);

    StatusRuntimeException refused =
        catchThrowableOfType(StatusRuntimeException.class, () -> watch("streamy", job.getId(), 0));
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    com.google.rpc.Status details = StatusProto.fromThrowable(refused);
    assertThat(details.getDetailsList())
        .anyMatch(d -> d.is(RetryInfo.class))
        .anyMatch(d -> d.is(com.google.rpc.QuotaFailure.class));
    assertThat(refused.getStatus().getDescription()).contains("max_open_streams: at most 2");

    // A stream that ends gives its place back.
    first.cancel("done watching", null);
    awaitOpenStreams("streamy", 1);
    var third = holdOpen("streamy", job.getId());
    awaitOpenStreams("streamy", 2);
    second.cancel("done", null);
    third.cancel("done", null);
    awaitOpenStreams("streamy", 0);
    stub()
        .cancel(
            dev.framecast.scheduler.v1.CancelRequest.newBuilder()
                .setCaller(caller("streamy"))
                .setJobId(job.getId())
                .build());
  }

  @Test
  void aTenantSubmitsOnlyInThePriorityClassesItsPolicyAllows() {
    Job unspecified =
        submit(
            "batchy", GenerateRequest.newBuilder().setPrompt("a red circle").setSteps(1).build());
    assertThat(unspecified.getRequest().getPriority())
        .isEqualTo(dev.framecast.api.v1.Priority.PRIORITY_BATCH);

    StatusRuntimeException refused =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () ->
                submit(
                    "batchy",
                    GenerateRequest.newBuilder()
                        .setPrompt("a red circle")
                        .setSteps(1)
                        .setPriority(dev.framecast.api.v1.Priority.PRIORITY_INTERACTIVE)
                        .build()));
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(refused.getStatus().getDescription())
        .contains("tenant 'batchy' may submit [batch] work only, not interactive");
    assertThat(detail(refused, com.google.rpc.ErrorInfo.class).getReason())
        .isEqualTo("PRIORITY_NOT_ALLOWED");

    // Unspecified stays interactive for a tenant with the default policy.
    Job acme =
        submit("acme", GenerateRequest.newBuilder().setPrompt("a red circle").setSteps(1).build());
    assertThat(acme.getRequest().getPriority())
        .isEqualTo(dev.framecast.api.v1.Priority.PRIORITY_INTERACTIVE);
  }

  @Test
  void readsPastTheTenantsRateAreRefusedWithWhenToRetryAndOtherTenantsReadOn() {
    Job job =
        submit(
            "poller", GenerateRequest.newBuilder().setPrompt("a red circle").setSteps(1).build());
    JobRequest get =
        JobRequest.newBuilder().setCaller(caller("poller")).setJobId(job.getId()).build();
    // read_burst 3: a GetJob, a ListJobs and a WatchJob, then nothing until the bucket refills.
    stub().getJob(get);
    stub()
        .listJobs(
            ListJobsRequest.newBuilder()
                .setCaller(caller("poller"))
                .setRequest(dev.framecast.api.v1.ListJobsRequest.getDefaultInstance())
                .build());
    watch("poller", job.getId(), 0);

    StatusRuntimeException refused =
        catchThrowableOfType(StatusRuntimeException.class, () -> stub().getJob(get));
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refused.getStatus().getDescription())
        .contains("reads_per_minute: at most 60 reads per minute");
    RetryInfo retry = detail(refused, RetryInfo.class);
    // 60 a minute: the next read is at most a second away.
    assertThat(
            retry.getRetryDelay().getSeconds() * 1000
                + retry.getRetryDelay().getNanos() / 1_000_000)
        .isBetween(1L, 1000L);
    assertThat(detail(refused, com.google.rpc.QuotaFailure.class).getViolations(0).getSubject())
        .isEqualTo("tenant:poller");
    assertThat(
            catchThrowableOfType(
                    StatusRuntimeException.class, () -> watch("poller", job.getId(), 0))
                .getStatus()
                .getCode())
        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    // Submissions have their own bucket, and other tenants theirs.
    submit("poller", GenerateRequest.newBuilder().setPrompt("a blue square").setSteps(1).build());
    Job other =
        submit("acme", GenerateRequest.newBuilder().setPrompt("a red circle").setSteps(1).build());
    for (int i = 0; i < 5; i++) {
      stub()
          .getJob(
              JobRequest.newBuilder().setCaller(caller("acme")).setJobId(other.getId()).build());
    }
  }

  @Test
  void listIsNewestFirstAndPaginated() {
    for (int i = 0; i < 3; i++) {
      submit(
          "globex",
          GenerateRequest.newBuilder()
              .setPrompt("a green square moving left " + i)
              .setSteps(1)
              .build());
    }
    ListJobsResponse first =
        stub()
            .listJobs(
                ListJobsRequest.newBuilder()
                    .setCaller(caller("globex"))
                    .setRequest(dev.framecast.api.v1.ListJobsRequest.newBuilder().setPageSize(2))
                    .build());
    assertThat(first.getJobsCount()).isEqualTo(2);
    assertThat(first.getNextPageToken()).isNotEmpty();
    ListJobsResponse second =
        stub()
            .listJobs(
                ListJobsRequest.newBuilder()
                    .setCaller(caller("globex"))
                    .setRequest(
                        dev.framecast.api.v1.ListJobsRequest.newBuilder()
                            .setPageSize(2)
                            .setPageToken(first.getNextPageToken()))
                    .build());
    assertThat(second.getJobsList())
        .extracting(Job::getId)
        .doesNotContainAnyElementsOf(first.getJobsList().stream().map(Job::getId).toList());
    assertThat(first.getJobs(0).getCreatedTime().getSeconds())
        .isGreaterThanOrEqualTo(first.getJobs(1).getCreatedTime().getSeconds());
  }

  @Test
  void metricsCountAdmissionsAndRejectionsByTenantAndReason() throws Exception {
    submit(
        "globex",
        GenerateRequest.newBuilder().setPrompt("a cyan square moving up").setSteps(1).build());
    catchThrowableOfType(
        StatusRuntimeException.class,
        () -> submit("globex", GenerateRequest.newBuilder().setPrompt("").build()));
    for (String stranger : List.of("umbrella", "cyberdyne")) {
      catchThrowableOfType(
          StatusRuntimeException.class,
          () -> submit(stranger, GenerateRequest.newBuilder().setPrompt("a dot").build()));
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter.create()
        .write(out, scheduler.metrics().registry().scrape());
    String text = out.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(text)
        .containsPattern("framecast_scheduler_jobs_admitted_total\\{tenant=\"globex\"} [1-9]");
    assertThat(text)
        .containsPattern(
            "framecast_scheduler_jobs_rejected_total\\{reason=\"InvalidRequest\",tenant=\"globex\"} [1-9]");
    // Names no tenant has share one label: a caller cannot make new series.
    assertThat(text)
        .containsPattern(
            "framecast_scheduler_jobs_rejected_total\\{reason=\"UnknownTenant\",tenant=\"\\(unknown\\)\"} [2-9]");
    assertThat(text).doesNotContain("umbrella", "cyberdyne");
    assertThat(text)
        .contains("framecast_scheduler_node_healthy{node=", "framecast_scheduler_queue_depth");
  }

  private static <T extends com.google.protobuf.Message> T detail(
      StatusRuntimeException e, Class<T> type) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    assertThat(status).isNotNull();
    for (com.google.protobuf.Any any : status.getDetailsList()) {
      if (any.is(type)) {
        try {
          return any.unpack(type);
        } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
          throw new AssertionError(ex);
        }
      }
    }
    throw new AssertionError("no " + type.getSimpleName() + " in " + status);
  }

  /** A renderer that needs no video library: the "clip" is the raw frames. */
  static final class FakeRenderer implements ClipRenderer {
    @Override
    public Rendered render(
        byte[] rgb, int frames, int height, int width, float fps, boolean framePngs) {
      return new Rendered(List.of(), rgb.clone(), "video/mp4");
    }

    @Override
    public byte[] preview(byte[] rgb, int frames, int height, int width) {
      return new byte[] {1};
    }
  }
}
