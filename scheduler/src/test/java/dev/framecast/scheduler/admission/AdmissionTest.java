package dev.framecast.scheduler.admission;

import static dev.framecast.common.errors.Details.detail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.QuotaFailure;
import com.google.rpc.RetryInfo;
import dev.framecast.api.v1.Job;
import dev.framecast.common.errors.AdmissionException;
import dev.framecast.common.errors.GrpcStatusMapper;
import dev.framecast.common.errors.InvalidRequestException;
import dev.framecast.common.errors.PipelineNotAllowedException;
import dev.framecast.common.errors.QuotaExceededException;
import dev.framecast.common.errors.QuotaExceededException.Limit;
import dev.framecast.common.errors.UnknownTenantException;
import dev.framecast.scheduler.tenant.TenantConfig;
import dev.framecast.scheduler.tenant.TenantRegistry;
import dev.framecast.scheduler.v1.SchedulerGrpc;
import dev.framecast.scheduler.v1.SubmitRequest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdmissionTest {

  /** acme: 2 requests back to back then one per second, 3 queued, 100 GPU-s a day, small only. */
  private static final String TENANTS =
      """
      tenants:
        acme:
          max_concurrent_jobs: 1
          max_queued_jobs: 3
          requests_per_minute: 60
          burst: 2
          gpu_seconds_per_day: 100
          max_steps: 50
          allowed_pipelines: [small]
        globex: {}
      """;

  private final AtomicLong nanos = new AtomicLong();
  private final ManualClock clock = new ManualClock(Instant.parse("2026-03-13T18:00:00Z"));
  private final UsageLedger ledger = new UsageLedger(clock);
  private final RateLimiter limiter = new RateLimiter(nanos::get);
  private final Admission admission =
      new Admission(TenantRegistry.fixed(TenantConfig.parse(TENANTS)), limiter, ledger);

  @Test
  void admitsWithinAllLimits() {
    assertThatCode(() -> admission.admit("acme", "small", 50, 2)).doesNotThrowAnyException();
    assertThatCode(() -> admission.admit("globex", "anything", 1000, 0)).doesNotThrowAnyException();
    assertThat(ledger.usage("acme").rejected()).isZero();
  }

  @Test
  void unknownTenantIsPermissionDeniedAndCreatesNoAccount() {
    StatusRuntimeException e = refusal(() -> admission.admit("umbrella", "small", 10, 0));

    assertThat(e.getStatus().getCode()).isEqualTo(Code.PERMISSION_DENIED);
    assertThat(e.getStatus().getDescription()).isEqualTo("tenant 'umbrella' is not configured");
    assertThat(detail(e, ErrorInfo.class).getReason()).isEqualTo("UNKNOWN_TENANT");
    assertThat(ledger.usage("umbrella").rejected()).isZero();
  }

  @Test
  void pipelineNotAllowedIsPermissionDenied() {
    StatusRuntimeException e = refusal(() -> admission.admit("acme", "large", 10, 0));

    assertThat(e.getStatus().getCode()).isEqualTo(Code.PERMISSION_DENIED);
    assertThat(detail(e, ErrorInfo.class).getReason()).isEqualTo("PIPELINE_NOT_ALLOWED");
    assertThat(ledger.usage("acme").rejected()).isEqualTo(1);
  }

  @Test
  void tooManyStepsIsInvalidArgumentOnSteps() {
    StatusRuntimeException e = refusal(() -> admission.admit("acme", "small", 51, 0));

    assertThat(e.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
    BadRequest.FieldViolation violation = detail(e, BadRequest.class).getFieldViolations(0);
    assertThat(violation.getField()).isEqualTo("steps");
    assertThat(violation.getDescription())
        .isEqualTo("must be at most 50 for tenant 'acme', got 51");
  }

  @Test
  void fullQueueIsResourceExhaustedAndSpendsNoToken() {
    StatusRuntimeException e = refusal(() -> admission.admit("acme", "small", 10, 3));

    assertThat(e.getStatus().getCode()).isEqualTo(Code.RESOURCE_EXHAUSTED);
    assertThat(detail(e, RetryInfo.class).getRetryDelay().getSeconds()).isEqualTo(5);
    QuotaFailure.Violation violation = detail(e, QuotaFailure.class).getViolations(0);
    assertThat(violation.getSubject()).isEqualTo("tenant:acme");
    assertThat(violation.getDescription()).isEqualTo("max_queued_jobs: at most 3 queued jobs");

    // Both burst tokens are still there.
    admission.admit("acme", "small", 10, 2);
    admission.admit("acme", "small", 10, 2);
  }

  @Test
  void rateLimitRetryInfoIsTheTimeToTheNextToken() {
    admission.admit("acme", "small", 10, 0);
    nanos.addAndGet(Duration.ofMillis(250).toNanos());
    admission.admit("acme", "small", 10, 0);

    StatusRuntimeException e = refusal(() -> admission.admit("acme", "small", 10, 0));

    assertThat(e.getStatus().getCode()).isEqualTo(Code.RESOURCE_EXHAUSTED);
    // 250 ms of refill at one token per second: 750 ms to go.
    assertThat(detail(e, RetryInfo.class).getRetryDelay())
        .isEqualTo(com.google.protobuf.Duration.newBuilder().setNanos(750_000_000).build());
    QuotaFailure.Violation violation = detail(e, QuotaFailure.class).getViolations(0);
    assertThat(violation.getSubject()).isEqualTo("tenant:acme");
    assertThat(violation.getDescription())
        .isEqualTo("requests_per_minute: at most 60 requests per minute");

    nanos.addAndGet(Duration.ofMillis(750).toNanos());
    assertThatCode(() -> admission.admit("acme", "small", 10, 0)).doesNotThrowAnyException();
  }

  @Test
  void dailyGpuQuotaRetriesAtUtcMidnight() {
    ledger.record("acme", 100);

    StatusRuntimeException e = refusal(() -> admission.admit("acme", "small", 10, 0));

    assertThat(e.getStatus().getCode()).isEqualTo(Code.RESOURCE_EXHAUSTED);
    assertThat(detail(e, RetryInfo.class).getRetryDelay().getSeconds())
        .isEqualTo(Duration.ofHours(6).toSeconds());
    QuotaFailure.Violation violation = detail(e, QuotaFailure.class).getViolations(0);
    assertThat(violation.getSubject()).isEqualTo("tenant:acme");
    assertThat(violation.getDescription())
        .isEqualTo("gpu_seconds_per_day: at most 100 GPU-seconds per UTC day");

    clock.advance(Duration.ofHours(6));
    nanos.addAndGet(Duration.ofHours(6).toNanos());
    assertThatCode(() -> admission.admit("acme", "small", 10, 0)).doesNotThrowAnyException();
  }

  @Test
  void checksRunInOrderPipelineStepsQueueRateGpu() {
    exhaustRate();
    ledger.record("acme", 1000); // over the daily quota

    // Everything wrong: the earliest check answers, and each fix reveals the next.
    assertThat(limitOf(() -> admission.admit("umbrella", "large", 99, 3)))
        .isInstanceOf(UnknownTenantException.class);
    assertThat(limitOf(() -> admission.admit("acme", "large", 99, 3)))
        .isInstanceOf(PipelineNotAllowedException.class);
    assertThat(limitOf(() -> admission.admit("acme", "small", 99, 3)))
        .isInstanceOf(InvalidRequestException.class);
    assertThat(quotaLimit(() -> admission.admit("acme", "small", 50, 3)))
        .isEqualTo(Limit.MAX_QUEUED_JOBS);
    assertThat(quotaLimit(() -> admission.admit("acme", "small", 50, 2)))
        .isEqualTo(Limit.REQUESTS_PER_MINUTE);
    nanos.addAndGet(Duration.ofMinutes(1).toNanos());
    assertThat(quotaLimit(() -> admission.admit("acme", "small", 50, 2)))
        .isEqualTo(Limit.GPU_SECONDS_PER_DAY);
    assertThat(ledger.usage("acme").rejected()).isEqualTo(5);
  }

  @Test
  void maxConcurrentJobsIsNotAnAdmissionLimit() {
    // acme may run one job at a time; the others are admitted and wait queued.
    assertThatCode(() -> admission.admit("acme", "small", 10, 1)).doesNotThrowAnyException();
    assertThatCode(() -> admission.admit("acme", "small", 10, 2)).doesNotThrowAnyException();
  }

  @Test
  void shuttingDownIsUnavailable() {
    admission.beginShutdown();

    StatusRuntimeException e = refusal(() -> admission.admit("acme", "small", 10, 0));

    assertThat(admission.isShuttingDown()).isTrue();
    assertThat(e.getStatus().getCode()).isEqualTo(Code.UNAVAILABLE);
  }

  @Test
  void reloadDropsRateBucketsOfRemovedTenants(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("tenants.yaml");
    Files.writeString(file, TENANTS);
    TenantRegistry registry = new TenantRegistry(file);
    RateLimiter rates = new RateLimiter(nanos::get);
    Admission reloading = new Admission(registry, rates, ledger);
    reloading.admit("acme", "small", 10, 0);
    reloading.admit("globex", "small", 10, 0);
    assertThat(rates.trackedTenants()).isEqualTo(2);

    Files.writeString(file, "tenants: { acme: {} }");
    Files.setLastModifiedTime(
        file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 1000));
    assertThat(registry.reloadIfChanged()).isTrue();

    assertThat(rates.trackedTenants()).isEqualTo(1);
    assertThat(refusal(() -> reloading.admit("globex", "small", 10, 0)).getStatus().getCode())
        .isEqualTo(Code.PERMISSION_DENIED);
  }

  /** The details survive a real gRPC call: they travel in the trailers, not in the exception. */
  @Test
  void detailsReachTheClientOverGrpc() throws Exception {
    String name = InProcessServerBuilder.generateName();
    Server server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(
                new SchedulerGrpc.SchedulerImplBase() {
                  @Override
                  public void submit(SubmitRequest request, StreamObserver<Job> response) {
                    try {
                      admission.admit(
                          request.getCaller().getTenant(),
                          request.getRequest().getModel(),
                          request.getRequest().getSteps(),
                          0);
                      response.onNext(Job.getDefaultInstance());
                      response.onCompleted();
                    } catch (RuntimeException e) {
                      response.onError(GrpcStatusMapper.toStatus(e));
                    }
                  }
                })
            .build()
            .start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      exhaustRate();
      SchedulerGrpc.SchedulerBlockingStub stub =
          SchedulerGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      SubmitRequest request =
          SubmitRequest.newBuilder()
              .setCaller(dev.framecast.scheduler.v1.Caller.newBuilder().setTenant("acme").build())
              .setRequest(
                  dev.framecast.api.v1.GenerateRequest.newBuilder()
                      .setModel("small")
                      .setSteps(10)
                      .build())
              .build();

      StatusRuntimeException e =
          catchThrowableOfType(StatusRuntimeException.class, () -> stub.submit(request));

      assertThat(e.getStatus().getCode()).isEqualTo(Code.RESOURCE_EXHAUSTED);
      assertThat(detail(e, RetryInfo.class).getRetryDelay().getSeconds()).isEqualTo(1);
      assertThat(detail(e, QuotaFailure.class).getViolations(0).getSubject())
          .isEqualTo("tenant:acme");
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
      server.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private void exhaustRate() {
    admission.admit("acme", "small", 10, 0);
    admission.admit("acme", "small", 10, 0);
  }

  /** Runs a refused admission and returns the status its client would see. */
  private static StatusRuntimeException refusal(Runnable admit) {
    return GrpcStatusMapper.toStatus(limitOf(admit));
  }

  private static AdmissionException limitOf(Runnable admit) {
    AdmissionException refused = catchThrowableOfType(AdmissionException.class, admit::run);
    assertThat(refused).as("admission refused").isNotNull();
    return refused;
  }

  private static Limit quotaLimit(Runnable admit) {
    AdmissionException refused = limitOf(admit);
    assertThat(refused).isInstanceOf(QuotaExceededException.class);
    return ((QuotaExceededException) refused).limit();
  }
}
