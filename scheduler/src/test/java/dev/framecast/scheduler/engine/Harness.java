package dev.framecast.scheduler.engine;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.node.CircuitBreaker;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.node.NodePool;
import dev.framecast.scheduler.node.TritonClient;
import dev.framecast.scheduler.pipeline.Pipeline;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import dev.framecast.scheduler.pipeline.Pipelines;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Real inference nodes (embedded, serving triton-models/ with ONNX Runtime) and an engine over
 * them, with a recording renderer: it keeps every job's decoded frames so tests can compare them.
 */
final class Harness implements AutoCloseable {
  final List<InferenceNode> nodes = new ArrayList<>();
  final NodePool pool;
  final Engine engine;
  final RecordingRenderer renderer = new RecordingRenderer();
  final MemoryClipStore store = new MemoryClipStore();
  private final ExecutorService workers = Executors.newFixedThreadPool(2);

  Harness(int nodeCount) throws IOException {
    this(nodeCount, EngineConfig.defaults());
  }

  Harness(int nodeCount, EngineConfig config) throws IOException {
    this(nodeCount, config, UsageSink.NONE);
  }

  Harness(int nodeCount, EngineConfig config, UsageSink usage) throws IOException {
    this(nodeCount, config, usage, REPOSITORY, node -> node);
  }

  /** The reference models, which real nodes run with ONNX Runtime. */
  static final Path REPOSITORY =
      Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));

  /**
   * @param repository the model repository every node serves
   * @param options changes to each node's options (its output order, simulation)
   */
  Harness(
      int nodeCount,
      EngineConfig config,
      UsageSink usage,
      Path repository,
      UnaryOperator<NodeOptions.Builder> options)
      throws IOException {
    this(java.util.Collections.nCopies(nodeCount, repository), config, usage, options);
  }

  /** One node per repository, in order (node-0 serves the first). */
  Harness(
      List<Path> repositories,
      EngineConfig config,
      UsageSink usage,
      UnaryOperator<NodeOptions.Builder> options)
      throws IOException {
    List<Node> handles = new ArrayList<>();
    for (int i = 0; i < repositories.size(); i++) {
      InferenceNode node =
          InferenceNode.start(
              options
                  .apply(
                      NodeOptions.builder(repositories.get(i))
                          .host("127.0.0.1")
                          .port(0)
                          .metricsPort(-1)
                          .intraOpThreads(1))
                  .build());
      nodes.add(node);
      String address = "127.0.0.1:" + node.port();
      handles.add(
          new Node(
              "node-" + i,
              new TritonClient(address, 256 << 20),
              new CircuitBreaker(
                  2, Duration.ofMillis(500), Duration.ofSeconds(5), System::nanoTime)));
    }
    pool = new NodePool(handles, Set.of("text_encoder", "dit", "vae"), Duration.ofSeconds(5));
    pool.startHealthChecks(Duration.ofMillis(200));
    Map<String, Pipeline> pipelines =
        Pipelines.resolve(List.of(PipelineSpec.reference()), pool, Duration.ofSeconds(10));
    pool.checkContractWith(Pipelines.contractCheck(pipelines));
    engine =
        new Engine(
            config,
            pipelines,
            pool,
            tenant -> tenant.equals("globex") ? 2.0 : 1.0,
            tenant -> 8,
            usage,
            renderer,
            store,
            workers,
            Clock.systemUTC());
  }

  /** Submits a normalized request's spec to the engine. */
  Job submit(String tenant, GenerateRequest request) {
    return engine.submit(tenant, dev.framecast.scheduler.job.JobSpec.of(request));
  }

  static GenerateRequest request(String prompt, long seed, int steps) {
    return GenerateRequest.newBuilder()
        .setPrompt(prompt)
        .setModel("reference")
        .setSeed(seed)
        .setSteps(steps)
        .setGuidanceScale(4f)
        .build();
  }

  /** Waits until the job's log holds a terminal event; returns all its events. */
  static List<JobEvent> awaitEnd(Job job, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!job.events().closed()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "job " + job.id() + " did not end; phase " + job.phase() + ", step " + job.step());
      }
      Thread.sleep(20);
    }
    return job.events().after(0, Integer.MAX_VALUE);
  }

  /** Keeps each job's decoded frames; the "clip" is the frames themselves. */
  static final class RecordingRenderer implements ClipRenderer {
    final Map<Integer, byte[]> framesByHash = new ConcurrentHashMap<>();

    @Override
    public Rendered render(
        byte[] rgb, int frames, int height, int width, float fps, boolean framePngs) {
      List<byte[]> pngs = new ArrayList<>();
      if (framePngs) {
        int size = height * width * 3;
        for (int f = 0; f < frames; f++) {
          byte[] frame = new byte[size];
          System.arraycopy(rgb, f * size, frame, 0, size);
          pngs.add(frame);
        }
      }
      return new Rendered(pngs, rgb.clone(), "application/octet-stream");
    }

    @Override
    public byte[] preview(byte[] rgb, int frames, int height, int width) {
      return rgb.clone();
    }
  }

  static final class MemoryClipStore implements ClipStore {
    final Map<String, byte[]> clips = new ConcurrentHashMap<>();

    @Override
    public void put(String tenant, String jobId, byte[] clip) {
      clips.put(tenant + "/" + jobId, clip);
    }

    @Override
    public Optional<byte[]> get(String tenant, String jobId) {
      return Optional.ofNullable(clips.get(tenant + "/" + jobId));
    }
  }

  @Override
  public void close() throws Exception {
    engine.close();
    pool.close();
    workers.shutdownNow();
    workers.awaitTermination(5, TimeUnit.SECONDS);
    for (InferenceNode node : nodes) {
      node.close();
    }
  }
}
