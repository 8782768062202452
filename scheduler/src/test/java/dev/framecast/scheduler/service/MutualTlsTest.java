package dev.framecast.scheduler.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.common.tls.TestPki;
import dev.framecast.common.tls.TlsFiles;
import dev.framecast.common.tls.TransportSecurity;
import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.scheduler.SchedulerServer;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import dev.framecast.scheduler.v1.Caller;
import dev.framecast.scheduler.v1.JobRequest;
import dev.framecast.scheduler.v1.ListJobsRequest;
import dev.framecast.scheduler.v1.SchedulerGrpc;
import dev.framecast.scheduler.v1.SubmitRequest;
import dev.framecast.scheduler.v1.UsageRequest;
import dev.framecast.scheduler.v1.WatchRequest;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduler and its node over real mutual TLS, as {@code ./framecast scheduler --tls-cert ...}
 * and {@code ./framecast node --tls-cert ...} run them: a job from the gateway's certificate runs
 * on the node; any other peer, with any {@code Caller} it claims (an admin of every tenant
 * included), is UNAUTHENTICATED and changes nothing.
 */
class MutualTlsTest {
  @TempDir static Path dir;
  private static TestPki pki;
  private static final List<AutoCloseable> closing = new ArrayList<>();
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    pki = new TestPki(dir);
    TransportSecurity nodeSecurity = open(pki.issue("framecast-node"));
    Path repository = Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
    InferenceNode node =
        InferenceNode.start(
            NodeOptions.builder(repository).host("127.0.0.1").port(0).metricsPort(-1).build(),
            nodeSecurity.server(
                new InetSocketAddress("127.0.0.1", 0), "the node", Set.of("framecast-scheduler")));
    closing.add(node);
    TransportSecurity schedulerSecurity = open(pki.issue("framecast-scheduler"));
    SchedulerServer scheduler =
        new SchedulerServer(
                new SchedulerServer.Options(
                    List.of("127.0.0.1:" + node.port()),
                    List.of(PipelineSpec.reference()),
                    null,
                    dir.resolve("clips"),
                    Duration.ofDays(7),
                    EngineConfig.defaults(),
                    1,
                    null,
                    -1,
                    schedulerSecurity.channel(Set.of("framecast-node"))),
                new SchedulerServiceTest.FakeRenderer())
            .serve(
                schedulerSecurity.server(
                    new InetSocketAddress("127.0.0.1", 0),
                    "the scheduler",
                    Set.of("framecast-gateway")));
    closing.add(scheduler);
    port = scheduler.port();
  }

  @AfterAll
  static void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private static TransportSecurity open(TlsFiles files) {
    TransportSecurity security = TransportSecurity.mutualTls(files, Duration.ofSeconds(30));
    closing.add(security);
    return security;
  }

  private static <T> T call(
      ChannelCredentials credentials, Function<SchedulerGrpc.SchedulerBlockingStub, T> call) {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port, credentials).build();
    try {
      return call.apply(
          SchedulerGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS));
    } finally {
      channel.shutdownNow();
    }
  }

  private static Caller caller(String tenant, boolean admin) {
    return Caller.newBuilder().setTenant(tenant).setSubject("mtls-test").setAdmin(admin).build();
  }

  private static Status refused(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
    throw new AssertionError("the scheduler answered");
  }

  private static ChannelCredentials gateway() {
    return open(pki.issue("framecast-gateway")).channel(Set.of("framecast-scheduler"));
  }

  @Test
  void aJobFromTheGatewayRunsOnTheNodeOverMutualTls() {
    ChannelCredentials gateway = gateway();
    Job job =
        call(
            gateway,
            stub ->
                stub.submit(
                    SubmitRequest.newBuilder()
                        .setCaller(caller("acme", false))
                        .setRequest(
                            GenerateRequest.newBuilder()
                                .setPrompt("a red circle moving right")
                                .setSteps(2))
                        .build()));
    List<JobEvent> events = new ArrayList<>();
    call(
        gateway,
        stub -> {
          stub.watch(
                  WatchRequest.newBuilder()
                      .setCaller(caller("acme", false))
                      .setJobId(job.getId())
                      .build())
              .forEachRemaining(events::add);
          return null;
        });

    assertThat(events.get(events.size() - 1).hasCompleted()).isTrue();
    assertThat(
            call(
                    gateway,
                    stub ->
                        stub.getJob(
                            JobRequest.newBuilder()
                                .setCaller(caller("acme", false))
                                .setJobId(job.getId())
                                .build()))
                .getState())
        .isEqualTo(JobState.SUCCEEDED);
  }

  @Test
  void aForgedCallerFromAnyOtherPeerIsRefusedAndChangesNothing() throws Exception {
    ChannelCredentials node =
        open(pki.issue("framecast-node")).channel(Set.of("framecast-scheduler"));
    ChannelCredentials selfSigned =
        open(pki.selfSigned("framecast-gateway")).channel(Set.of("framecast-scheduler"));
    ChannelCredentials otherCa =
        open(pki.fromAnotherCa("framecast-gateway")).channel(Set.of("framecast-scheduler"));
    ChannelCredentials none =
        TlsChannelCredentials.newBuilder().trustManager(pki.caFile().toFile()).build();
    SubmitRequest forged =
        SubmitRequest.newBuilder()
            .setCaller(caller("globex", true))
            .setRequest(GenerateRequest.newBuilder().setPrompt("a forged job").setSteps(2))
            .build();

    List<Status> refusals = new ArrayList<>();
    for (ChannelCredentials peer : List.of(node, selfSigned, otherCa, none)) {
      refusals.add(refused(() -> call(peer, stub -> stub.submit(forged))));
      refusals.add(
          refused(
              () ->
                  call(
                      peer,
                      stub ->
                          stub.getUsage(
                              UsageRequest.newBuilder()
                                  .setCaller(caller("globex", true))
                                  .setTenant("acme")
                                  .build()))));
    }

    assertThat(refusals).extracting(Status::getCode).containsOnly(Status.Code.UNAUTHENTICATED);
    assertThat(refusals.get(0).getDescription())
        .contains("the scheduler takes calls only over mutual TLS from framecast-gateway")
        .contains("names framecast-node");
    // Nothing was queued for the tenant the forged caller named.
    assertThat(
            call(
                    gateway(),
                    stub ->
                        stub.listJobs(
                            ListJobsRequest.newBuilder()
                                .setCaller(caller("globex", false))
                                .build()))
                .getJobsList())
        .isEmpty();
  }
}
