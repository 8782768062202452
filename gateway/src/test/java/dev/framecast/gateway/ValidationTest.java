package dev.framecast.gateway;

import static dev.framecast.gateway.GrpcClient.failure;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.BadRequest;
import com.google.rpc.ResourceInfo;
import dev.framecast.api.v1.CancelJobRequest;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.GetJobRequest;
import dev.framecast.api.v1.GetUsageRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.ListJobsRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bad requests are refused field by field before any work, and nothing is queued for them. */
@QuarkusTest
class ValidationTest extends GrpcTestBase {

  private static GenerateRequest.Builder valid() {
    return GenerateRequest.newBuilder().setPrompt("a red circle moving right").setSteps(2);
  }

  /** The fields a refused request's BadRequest names. */
  private List<String> violations(GenerateRequest request) {
    return fields(failure(() -> client.tenant("initech").submitJob(request)));
  }

  /** The fields an INVALID_ARGUMENT status's BadRequest names. */
  private static List<String> fields(StatusRuntimeException e) {
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    assertThat(status).isNotNull();
    return status.getDetailsList().stream()
        .filter(any -> any.is(BadRequest.class))
        .flatMap(
            any -> {
              try {
                return any.unpack(BadRequest.class).getFieldViolationsList().stream();
              } catch (com.google.protobuf.InvalidProtocolBufferException x) {
                throw new AssertionError(x);
              }
            })
        .map(BadRequest.FieldViolation::getField)
        .toList();
  }

  @Test
  void everyBadFieldIsNamedAndNothingIsQueued() {
    int jobsBefore =
        client.tenant("initech").listJobs(ListJobsRequest.getDefaultInstance()).getJobsCount();
    long rejectedBefore =
        client
            .tenant("initech")
            .getUsage(GetUsageRequest.getDefaultInstance())
            .getRequestsRejected();

    assertThat(violations(valid().setPrompt("").build())).containsExactly("prompt");
    assertThat(violations(valid().setPrompt("   ").build())).containsExactly("prompt");
    // The reference pipeline's text encoder takes 64 bytes: 22 three-byte characters are 66.
    assertThat(violations(valid().setPrompt("€".repeat(22)).build())).containsExactly("prompt");
    // Over the gateway's own cap: refused before the scheduler sees it.
    assertThat(violations(valid().setNegativePrompt("x".repeat(3000)).build()))
        .containsExactly("negative_prompt");
    // Far over it, and still far under the transport's cap: the field is named all the same.
    assertThat(violations(valid().setPrompt("x".repeat(100_000)).build()))
        .containsExactly("prompt");
    assertThat(violations(valid().setSteps(101).build())).containsExactly("steps");
    assertThat(violations(valid().setGuidanceScale(Float.NaN).build()))
        .containsExactly("guidance_scale");
    assertThat(violations(valid().setGuidanceScale(Float.POSITIVE_INFINITY).build()))
        .containsExactly("guidance_scale");
    assertThat(violations(valid().setGuidanceScale(25f).build())).containsExactly("guidance_scale");
    assertThat(violations(valid().setModel("sora-9").build())).containsExactly("model");
    assertThat(violations(valid().setPreviewEvery(3).build())).containsExactly("preview_every");
    // uint32 fields: a client's -1 is 4294967295 on the wire (and a negative int in Java).
    assertThat(violations(valid().setPreviewEvery(-1).build())).containsExactly("preview_every");
    assertThat(violations(valid().setSteps(-1).build())).containsExactly("steps");
    assertThat(violations(valid().setIdempotencyKey("k".repeat(129)).build()))
        .containsExactly("idempotency_key");
    // Several at once are reported together.
    assertThat(violations(valid().setPrompt("").setSteps(500).setPreviewEvery(600).build()))
        .containsExactlyInAnyOrder("prompt", "steps", "preview_every");

    assertThat(
            client.tenant("initech").listJobs(ListJobsRequest.getDefaultInstance()).getJobsCount())
        .isEqualTo(jobsBefore);
    assertThat(
            client.tenant("initech").getUsage(GetUsageRequest.getDefaultInstance()).getQueuedJobs())
        .isZero();
  }

  @Test
  void aMessageOverTheTransportCapIsRefusedUnread() {
    StatusRuntimeException e =
        failure(
            () ->
                client
                    .tenant("initech")
                    .submitJob(valid().setPrompt("x".repeat(1_100_000)).build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
  }

  @Test
  void badJobIdsAndPagesAreInvalidArguments() {
    assertThat(
            failure(() -> client.tenant("acme").getJob(GetJobRequest.getDefaultInstance()))
                .getStatus()
                .getCode())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(
            failure(
                    () ->
                        client
                            .tenant("acme")
                            .listJobs(ListJobsRequest.newBuilder().setPageSize(501).build()))
                .getStatus()
                .getCode())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(
            failure(
                    () ->
                        client
                            .tenant("acme")
                            .listJobs(ListJobsRequest.newBuilder().setPageSize(-1).build()))
                .getStatus()
                .getCode())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(
            failure(
                    () ->
                        client
                            .tenant("acme")
                            .listJobs(ListJobsRequest.newBuilder().setPageToken("%%%").build()))
                .getStatus()
                .getCode())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void everyOtherRequestNamesItsBadFieldToo() {
    var acme = client.tenant("acme");
    assertThat(fields(failure(() -> acme.getJob(GetJobRequest.getDefaultInstance()))))
        .containsExactly("job_id");
    assertThat(
            fields(
                failure(
                    () ->
                        acme.getJob(GetJobRequest.newBuilder().setJobId("j".repeat(129)).build()))))
        .containsExactly("job_id");
    assertThat(
            fields(
                failure(
                    () -> acme.listJobs(ListJobsRequest.newBuilder().setPageSize(501).build()))))
        .containsExactly("page_size");
    assertThat(
            fields(
                failure(
                    () -> acme.listJobs(ListJobsRequest.newBuilder().setPageToken("%%%").build()))))
        .containsExactly("page_token");
    assertThat(
            fields(
                failure(
                    () ->
                        acme.listJobs(
                            ListJobsRequest.newBuilder().setPageToken("t".repeat(257)).build()))))
        .containsExactly("page_token");
    assertThat(
            fields(
                failure(
                    () -> acme.listJobs(ListJobsRequest.newBuilder().addStatesValue(99).build()))))
        .containsExactly("states");
    assertThat(
            fields(
                failure(
                    () ->
                        acme.cancelJob(
                            CancelJobRequest.newBuilder()
                                .setJobId("some-job")
                                .setReason("r".repeat(1025))
                                .build()))))
        .containsExactly("reason");
    assertThat(
            fields(
                failure(
                    () ->
                        acme.getUsage(
                            GetUsageRequest.newBuilder().setTenant("t".repeat(129)).build()))))
        .containsExactly("tenant");
  }

  @Test
  void anUnknownJobIsNotFoundNamingTheJob() throws Exception {
    StatusRuntimeException e =
        failure(
            () ->
                client
                    .tenant("acme")
                    .getJob(GetJobRequest.newBuilder().setJobId("no-such-job").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    assertThat(status.getMessage()).isEqualTo("job 'no-such-job' not found");
    ResourceInfo resource =
        status.getDetailsList().stream()
            .filter(any -> any.is(ResourceInfo.class))
            .findFirst()
            .orElseThrow()
            .unpack(ResourceInfo.class);
    assertThat(resource.getResourceName()).isEqualTo("no-such-job");
    assertThat(resource.getResourceType()).isEqualTo("framecast.v1.Job");
  }

  @Test
  void theSameIdempotencyKeyGivesTheSameJob() {
    GenerateRequest request = valid().setIdempotencyKey("gateway-test-key-1").build();
    Job first = client.tenant("acme").submitJob(request);
    Job second = client.tenant("acme").submitJob(request);
    assertThat(second.getId()).isEqualTo(first.getId());
    // Generate with the key follows the same job instead of starting another.
    var events = GrpcClient.drain(client.tenant("acme").generate(request));
    assertThat(events).allMatch(e -> e.getJobId().equals(first.getId()));
    assertThat(events).last().matches(e -> e.hasCompleted());
    StatusRuntimeException changed =
        failure(() -> client.tenant("acme").submitJob(request.toBuilder().setSteps(3).build()));
    assertThat(changed.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(changed.getStatus().getDescription()).contains("idempotency_key");
  }

  @Test
  void overQuotaIsResourceExhaustedWithRetryInfo() {
    var tiny = client.tenant("tiny");
    GenerateRequest slow = valid().setSteps(100).build();
    // One job may wait: depending on timing the first is still queued or already running.
    List<Job> admitted = new java.util.ArrayList<>();
    StatusRuntimeException refused = null;
    for (int i = 0; i < 3 && refused == null; i++) {
      try {
        admitted.add(tiny.submitJob(slow));
      } catch (StatusRuntimeException e) {
        refused = e;
      }
    }
    assertThat(refused).isNotNull();
    assertThat(admitted).hasSizeBetween(1, 2);
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(StatusProto.fromThrowable(refused).getDetailsList())
        .anyMatch(any -> any.is(com.google.rpc.RetryInfo.class));
    for (Job job : admitted) {
      tiny.cancelJob(
          dev.framecast.api.v1.CancelJobRequest.newBuilder().setJobId(job.getId()).build());
    }
  }
}
