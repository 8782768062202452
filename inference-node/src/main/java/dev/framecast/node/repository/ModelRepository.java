package dev.framecast.node.repository;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.framecast.inference.v2.ModelConfig;
import dev.framecast.inference.v2.ModelInstanceGroup;
import dev.framecast.inference.v2.ModelQueuePolicy;
import dev.framecast.node.batch.BatchPolicy;
import dev.framecast.node.batch.BatchRunner;
import dev.framecast.node.batch.ModelScheduler;
import dev.framecast.node.batch.OnnxBatchRunner;
import dev.framecast.node.batch.SimulatedBatchRunner;
import dev.framecast.node.infer.Errors;
import dev.framecast.node.infer.ModelSignature;
import dev.framecast.node.metrics.ModelStats;
import dev.framecast.node.metrics.NodeMetrics;
import dev.framecast.node.sim.SimulatedGpu;
import dev.framecast.node.sim.SimulatedProfile;
import dev.framecast.node.tensor.Shapes;
import dev.framecast.node.tensor.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Loads every model of a Triton model repository (or the ones named) into ONNX Runtime, or, for
 * load tests, simulates them ({@link #loadSimulated}). A model that fails to load is recorded with
 * its reason and does not stop the others.
 */
public final class ModelRepository implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ModelRepository.class.getName());

  /**
   * @param root the repository directory
   * @param intraOpThreads ONNX Runtime intra-op threads per session (0 = ONNX Runtime's default)
   * @param maxQueueSize queue bound for models whose config leaves max_queue_size at 0
   * @param models models to load; empty loads every model directory
   */
  public record Options(Path root, int intraOpThreads, int maxQueueSize, Set<String> models) {}

  /** Builds one ready version from its directory and checked config. */
  @FunctionalInterface
  private interface VersionLoader {
    ModelVersion load(Path dir, ModelConfig config, long version) throws ModelLoadException;
  }

  private final Path root;
  private final Map<String, LoadedModel> models;

  private ModelRepository(Path root, Map<String, LoadedModel> models) {
    this.root = root;
    this.models = Collections.unmodifiableMap(models);
  }

  public static ModelRepository load(Options options, OrtEnvironment env, NodeMetrics metrics)
      throws IOException {
    return loadAll(
        options,
        (dir, config, version) -> loadVersion(dir, config, version, options, env, metrics),
        "");
  }

  /**
   * Loads the repository in simulated mode, for load tests: every config is read and checked as
   * {@link #load} does and each version gets the same queue and batcher, but no model file is
   * needed or opened; a {@link SimulatedBatchRunner} answers after the profile's latency on the
   * node's one GPU. A model the profile has no points for fails to load, with that reason.
   */
  public static ModelRepository loadSimulated(
      Options options, SimulatedProfile profile, SimulatedGpu gpu, NodeMetrics metrics)
      throws IOException {
    return loadAll(
        options,
        (dir, config, version) -> simulateVersion(config, version, options, profile, gpu, metrics),
        "SIMULATED, ");
  }

  private static ModelRepository loadAll(Options options, VersionLoader loader, String kind)
      throws IOException {
    if (!Files.isDirectory(options.root())) {
      throw new IOException("model repository not found: " + options.root().toAbsolutePath());
    }
    Map<String, LoadedModel> models = new TreeMap<>();
    try (Stream<Path> dirs = Files.list(options.root())) {
      for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
        String name = dir.getFileName().toString();
        if (!options.models().isEmpty() && !options.models().contains(name)) {
          continue;
        }
        if (!Files.exists(dir.resolve(ModelConfigs.CONFIG_FILE))) {
          if (hasVersionDirs(dir)) {
            models.put(name, LoadedModel.failed(name, "no " + ModelConfigs.CONFIG_FILE));
          } else {
            // Sources or data kept beside the models (e.g. training/): not a model directory.
            LOG.fine("skipping " + dir + ": not a model directory");
          }
          continue;
        }
        models.put(name, loadModel(dir, loader, kind));
      }
    }
    for (String wanted : options.models()) {
      models.computeIfAbsent(wanted, n -> LoadedModel.failed(n, "model directory not found"));
    }
    return new ModelRepository(options.root(), models);
  }

  public Path root() {
    return root;
  }

  public Collection<LoadedModel> models() {
    return models.values();
  }

  public Optional<LoadedModel> model(String name) {
    return Optional.ofNullable(models.get(name));
  }

  /**
   * The version a request addresses, with Triton's errors: an empty version string means the newest
   * ready version.
   */
  public ModelVersion resolve(String name, String version) {
    long requested = parseVersion(version);
    LoadedModel model = models.get(name);
    if (model == null) {
      throw Errors.unknownModel(name);
    }
    if (requested < 0) {
      Map.Entry<Long, ModelVersion> newest = model.readyVersions().lastEntry();
      if (newest == null) {
        throw Errors.noAvailableVersions(name);
      }
      return newest.getValue();
    }
    ModelVersion ready = model.readyVersions().get(requested);
    if (ready != null) {
      return ready;
    }
    if (model.versionStates().containsKey(requested)) {
      throw Errors.versionNotReady(name, requested);
    }
    throw Errors.unknownVersion(name, requested);
  }

  /** -1 for "" (latest); Triton's errors for anything but a positive integer. */
  public static long parseVersion(String version) {
    if (version.isEmpty()) {
      return -1;
    }
    long parsed;
    try {
      parsed = Long.parseLong(version.trim());
    } catch (NumberFormatException e) {
      throw Errors.unparsableVersion(version);
    }
    if (parsed < 0) {
      throw Errors.negativeVersion(version);
    }
    return parsed;
  }

  private static boolean hasVersionDirs(Path dir) throws IOException {
    try (Stream<Path> children = Files.list(dir)) {
      return children.anyMatch(
          p -> Files.isDirectory(p) && p.getFileName().toString().matches("\\d+"));
    }
  }

  private static LoadedModel loadModel(Path dir, VersionLoader loader, String kind)
      throws IOException {
    String name = dir.getFileName().toString();
    ModelConfig config;
    try {
      config = ModelConfigs.read(dir);
    } catch (ModelLoadException e) {
      LOG.warning("failed to load '" + name + "': " + e.getMessage());
      return LoadedModel.failed(name, e.getMessage());
    }
    List<Long> onDisk = new ArrayList<>();
    try (Stream<Path> children = Files.list(dir)) {
      children
          .filter(p -> Files.isDirectory(p) && p.getFileName().toString().matches("\\d+"))
          .forEach(p -> onDisk.add(Long.parseLong(p.getFileName().toString())));
    }
    NavigableSet<Long> selected = ModelConfigs.selectVersions(config.getVersionPolicy(), onDisk);
    TreeMap<Long, ModelVersion> ready = new TreeMap<>();
    TreeMap<Long, LoadedModel.VersionState> states = new TreeMap<>();
    for (long version : selected) {
      try {
        ModelVersion loaded = loader.load(dir, config, version);
        ready.put(version, loaded);
        states.put(version, new LoadedModel.VersionState(version, LoadedModel.State.READY, ""));
        LOG.info(
            "successfully loaded '"
                + name
                + "' version "
                + version
                + " ("
                + kind
                + loaded.instances()
                + " instance(s), max_batch_size "
                + config.getMaxBatchSize()
                + (config.hasDynamicBatching() ? ", dynamic batching" : "")
                + ")");
      } catch (ModelLoadException e) {
        states.put(
            version,
            new LoadedModel.VersionState(version, LoadedModel.State.UNAVAILABLE, e.getMessage()));
        LOG.warning("failed to load '" + name + "' version " + version + ": " + e.getMessage());
      }
    }
    String reason = selected.isEmpty() ? "no version directory matches the version policy" : null;
    if (reason != null) {
      LOG.warning("failed to load '" + name + "': " + reason);
    }
    return new LoadedModel(name, config, ready, states, reason);
  }

  private static ModelVersion loadVersion(
      Path dir,
      ModelConfig config,
      long version,
      Options options,
      OrtEnvironment env,
      NodeMetrics metrics)
      throws ModelLoadException {
    String fileName =
        config.getDefaultModelFilename().isEmpty()
            ? "model.onnx"
            : config.getDefaultModelFilename();
    Path file = dir.resolve(Long.toString(version)).resolve(fileName);
    if (!Files.isRegularFile(file)) {
      throw new ModelLoadException("unable to find '" + file + "'");
    }
    List<TensorSpec> inputs = ModelConfigs.inputs(config);
    List<TensorSpec> outputs = ModelConfigs.outputs(config);
    int instances = instanceCount(config);
    List<OrtSession> sessions = new ArrayList<>();
    try {
      for (int i = 0; i < instances; i++) {
        OrtSession session = env.createSession(file.toString(), sessionOptions(options));
        sessions.add(session);
        if (i == 0) {
          checkAgainstConfig(session, config, inputs, outputs);
        }
      }
    } catch (OrtException | ModelLoadException e) {
      sessions.forEach(ModelRepository::closeQuietly);
      throw e instanceof ModelLoadException mle
          ? mle
          : new ModelLoadException(
              "onnx runtime failed to load " + file + ": " + e.getMessage(), e);
    }
    ModelSignature signature =
        ModelSignature.of(config.getName(), version, config.getMaxBatchSize(), inputs, outputs);
    return assemble(
        config,
        signature,
        sessions,
        options,
        metrics,
        stats ->
            new OnnxBatchRunner(
                env, sessions, signature.outputs(), signature.batched(), stats, System::nanoTime));
  }

  private static ModelVersion simulateVersion(
      ModelConfig config,
      long version,
      Options options,
      SimulatedProfile profile,
      SimulatedGpu gpu,
      NodeMetrics metrics)
      throws ModelLoadException {
    String name = config.getName();
    if (!profile.models().contains(name)) {
      throw new ModelLoadException(
          "simulation profile "
              + profile.source()
              + " has no points for model '"
              + name
              + "' (add lines "
              + name
              + ",BATCH,LATENCY_MS)");
    }
    long temporalCompression;
    try {
      temporalCompression = SimulatedBatchRunner.temporalCompression(config);
    } catch (IllegalArgumentException e) {
      throw new ModelLoadException(e.getMessage(), e);
    }
    ModelSignature signature =
        ModelSignature.of(
            name,
            version,
            config.getMaxBatchSize(),
            ModelConfigs.inputs(config),
            ModelConfigs.outputs(config));
    return assemble(
        config,
        signature,
        List.of(),
        options,
        metrics,
        stats ->
            new SimulatedBatchRunner(
                signature, temporalCompression, profile, gpu, stats, System::nanoTime));
  }

  /** The version's statistics, queue and batcher around its runner, the same in both modes. */
  private static ModelVersion assemble(
      ModelConfig config,
      ModelSignature signature,
      List<OrtSession> sessions,
      Options options,
      NodeMetrics metrics,
      Function<ModelStats, BatchRunner> runnerFor) {
    long version = signature.version();
    int instances = instanceCount(config);
    ModelStats stats = new ModelStats(config.getName(), version, metrics);
    BatchPolicy policy = BatchPolicy.fromConfig(config);
    ModelQueuePolicy queuePolicy = config.getDynamicBatching().getDefaultQueuePolicy();
    int maxQueue =
        queuePolicy.getMaxQueueSize() > 0 ? queuePolicy.getMaxQueueSize() : options.maxQueueSize();
    long timeoutNanos =
        queuePolicy.getTimeoutAction() == ModelQueuePolicy.TimeoutAction.REJECT
            ? TimeUnit.MICROSECONDS.toNanos(queuePolicy.getDefaultTimeoutMicroseconds())
            : 0;
    BatchRunner runner = runnerFor.apply(stats);
    ModelScheduler scheduler =
        new ModelScheduler(
            config.getName() + ":" + version,
            policy,
            maxQueue,
            timeoutNanos,
            queuePolicy.getAllowTimeoutOverride(),
            instances,
            runner,
            stats,
            System::nanoTime);
    return new ModelVersion(config, version, signature, sessions, instances, scheduler, stats);
  }

  /** Sum of instance_group counts; KIND_GPU and KIND_AUTO groups run on CPU here. */
  private static int instanceCount(ModelConfig config) {
    if (config.getInstanceGroupCount() == 0) {
      return 1;
    }
    int count = 0;
    for (ModelInstanceGroup group : config.getInstanceGroupList()) {
      count += Math.max(1, group.getCount());
    }
    return count;
  }

  private static OrtSession.SessionOptions sessionOptions(Options options) throws OrtException {
    OrtSession.SessionOptions session = new OrtSession.SessionOptions();
    session.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    if (options.intraOpThreads() > 0) {
      session.setIntraOpNumThreads(options.intraOpThreads());
    }
    session.setInterOpNumThreads(1);
    return session;
  }

  /** What Triton's ONNX Runtime backend checks at load: names, types and dims agree. */
  private static void checkAgainstConfig(
      OrtSession session, ModelConfig config, List<TensorSpec> inputs, List<TensorSpec> outputs)
      throws OrtException, ModelLoadException {
    boolean batched = config.getMaxBatchSize() > 0;
    check("input", session.getInputInfo(), inputs, batched);
    check("output", session.getOutputInfo(), outputs, batched);
    for (String name : session.getInputInfo().keySet()) {
      if (inputs.stream().noneMatch(s -> s.name().equals(name))) {
        throw new ModelLoadException("model input '" + name + "' is not in the model config");
      }
    }
  }

  private static void check(
      String kind, Map<String, NodeInfo> graph, List<TensorSpec> specs, boolean batched)
      throws ModelLoadException {
    for (TensorSpec spec : specs) {
      NodeInfo info = graph.get(spec.name());
      if (info == null || !(info.getInfo() instanceof TensorInfo tensor)) {
        throw new ModelLoadException(
            "unexpected "
                + kind
                + " '"
                + spec.name()
                + "' in model config: the model has no such tensor");
      }
      OnnxJavaType expected = spec.type().onnxType();
      if (tensor.type != expected) {
        throw new ModelLoadException(
            kind
                + " '"
                + spec.name()
                + "' is "
                + tensor.type
                + " in the model, config says "
                + spec.type().protocolName());
      }
      long[] configShape = spec.fullShape(batched);
      long[] modelShape = tensor.getShape();
      boolean compatible = configShape.length == modelShape.length;
      for (int i = 0; compatible && i < configShape.length; i++) {
        compatible = configShape[i] == -1 || modelShape[i] == -1 || configShape[i] == modelShape[i];
      }
      if (!compatible) {
        throw new ModelLoadException(
            kind
                + " '"
                + spec.name()
                + "' has shape "
                + Shapes.format(modelShape)
                + " in the model, config says "
                + Shapes.format(configShape));
      }
    }
  }

  private static void closeQuietly(OrtSession session) {
    try {
      session.close();
    } catch (OrtException e) {
      LOG.fine("closing session: " + e);
    }
  }

  @Override
  public void close() {
    models.values().forEach(LoadedModel::close);
  }
}
