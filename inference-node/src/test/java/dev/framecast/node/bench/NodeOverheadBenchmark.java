package dev.framecast.node.bench;

import com.google.protobuf.ByteString;
import dev.framecast.inference.v2.GRPCInferenceServiceGrpc;
import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.inference.v2.ModelStatisticsRequest;
import dev.framecast.inference.v2.StatisticDuration;
import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The node's own cost per call: a ModelInfer round trip over loopback gRPC to an Identity model, so
 * everything measured is decode, validate, copy into the ONNX Runtime tensor, copy out and encode
 * (client side included, so this is an upper bound). ONNX Runtime's own Identity time is printed
 * from ModelStatistics at teardown.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
// JMH's forked VM dies with SIGSEGV and no hs_err report (a native stack overflow) unless its
// threads get a larger stack; the node itself and its tests run with the default.
@Fork(value = 1, jvmArgsAppend = "-Xss4m")
public class NodeOverheadBenchmark {
  @Param({"65536", "4194304"})
  public int bytes;

  private InferenceNode node;
  private ManagedChannel channel;
  private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;
  private ModelInferRequest request;

  @Setup(Level.Trial)
  public void start() throws Exception {
    node =
        InferenceNode.start(
            NodeOptions.builder(Path.of("src/test/resources/bench-repository"))
                .host("127.0.0.1")
                .port(0)
                .metricsPort(-1)
                .build());
    channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", node.port())
            .usePlaintext()
            .maxInboundMessageSize(64 << 20)
            .build();
    stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    request =
        ModelInferRequest.newBuilder()
            .setModelName("identity")
            .addInputs(
                ModelInferRequest.InferInputTensor.newBuilder()
                    .setName("INPUT0")
                    .setDatatype("FP32")
                    .addShape(bytes / 4))
            .addRawInputContents(ByteString.copyFrom(new byte[bytes]))
            .build();
  }

  @Benchmark
  public ModelInferResponse roundTrip() {
    return stub.withDeadlineAfter(30, TimeUnit.SECONDS).modelInfer(request);
  }

  @TearDown(Level.Trial)
  public void stop() throws Exception {
    var stats =
        stub.modelStatistics(ModelStatisticsRequest.newBuilder().setName("identity").build())
            .getModelStats(0)
            .getInferenceStats();
    System.out.printf(
        "%n[identity %d bytes] per request: ONNX Runtime compute %.1f us, input copy %.1f us,"
            + " output copy %.1f us, queue %.1f us%n",
        bytes,
        micros(stats.getComputeInfer()),
        micros(stats.getComputeInput()),
        micros(stats.getComputeOutput()),
        micros(stats.getQueue()));
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    node.close();
  }

  private static double micros(StatisticDuration d) {
    return d.getCount() == 0 ? 0 : d.getNs() / 1000.0 / d.getCount();
  }
}
