package dev.framecast.node.repository;

import com.google.protobuf.TextFormat;
import dev.framecast.inference.v2.ModelConfig;
import dev.framecast.inference.v2.ModelInput;
import dev.framecast.inference.v2.ModelOutput;
import dev.framecast.inference.v2.ModelVersionPolicy;
import dev.framecast.node.tensor.Shapes;
import dev.framecast.node.tensor.TensorSpec;
import dev.framecast.node.tensor.TritonType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.NavigableSet;
import java.util.TreeSet;

/** Reads and checks a model's config.pbtxt the way Triton does for the ONNX Runtime backend. */
public final class ModelConfigs {
  public static final String CONFIG_FILE = "config.pbtxt";
  private static final String ONNX_PLATFORM = "onnxruntime_onnx";
  private static final String ONNX_BACKEND = "onnxruntime";

  private ModelConfigs() {}

  /** Parses config.pbtxt; an empty name takes the directory's, as in Triton. */
  public static ModelConfig read(Path modelDir) throws IOException, ModelLoadException {
    String text = Files.readString(modelDir.resolve(CONFIG_FILE));
    ModelConfig.Builder builder = ModelConfig.newBuilder();
    try {
      TextFormat.merge(text, builder);
    } catch (TextFormat.ParseException e) {
      throw new ModelLoadException("failed to parse " + CONFIG_FILE + ": " + e.getMessage());
    }
    String dirName = modelDir.getFileName().toString();
    if (builder.getName().isEmpty()) {
      builder.setName(dirName);
    } else if (!builder.getName().equals(dirName)) {
      throw new ModelLoadException(
          "model name '" + builder.getName() + "' in config does not match directory " + dirName);
    }
    if (builder.getPlatform().isEmpty() && builder.getBackend().equals(ONNX_BACKEND)) {
      builder.setPlatform(ONNX_PLATFORM);
    }
    if (builder.getBackend().isEmpty() && builder.getPlatform().equals(ONNX_PLATFORM)) {
      builder.setBackend(ONNX_BACKEND);
    }
    ModelConfig config = builder.build();
    validate(config);
    return config;
  }

  static void validate(ModelConfig config) throws ModelLoadException {
    if (!config.getPlatform().equals(ONNX_PLATFORM)) {
      throw new ModelLoadException(
          "unsupported platform '"
              + config.getPlatform()
              + "' (this node serves "
              + ONNX_PLATFORM
              + " models)");
    }
    if (config.getMaxBatchSize() < 0) {
      throw new ModelLoadException("max_batch_size must be >= 0");
    }
    if (config.getInputCount() == 0 || config.getOutputCount() == 0) {
      throw new ModelLoadException("model must declare at least one input and one output");
    }
    if (config.hasSequenceBatching() || config.hasEnsembleScheduling()) {
      throw new ModelLoadException("sequence batching and ensembles are not supported");
    }
    inputs(config);
    outputs(config);
  }

  public static List<TensorSpec> inputs(ModelConfig config) throws ModelLoadException {
    List<TensorSpec> specs = new ArrayList<>();
    for (ModelInput input : config.getInputList()) {
      specs.add(spec(input.getName(), input.getDataType(), input.getDimsList()));
    }
    return specs;
  }

  public static List<TensorSpec> outputs(ModelConfig config) throws ModelLoadException {
    List<TensorSpec> specs = new ArrayList<>();
    for (ModelOutput output : config.getOutputList()) {
      specs.add(spec(output.getName(), output.getDataType(), output.getDimsList()));
    }
    return specs;
  }

  private static TensorSpec spec(
      String name, dev.framecast.inference.v2.DataType type, List<Long> dims)
      throws ModelLoadException {
    TritonType tritonType =
        TritonType.fromConfig(type)
            .orElseThrow(
                () -> new ModelLoadException("unsupported data type " + type + " for " + name));
    long[] shape = Shapes.toArray(dims);
    for (long dim : shape) {
      if (dim < -1 || dim == 0) {
        throw new ModelLoadException("invalid dims " + Shapes.format(shape) + " for " + name);
      }
    }
    return new TensorSpec(name, tritonType, shape);
  }

  /** The versions to load from those present on disk, by the config's version_policy. */
  public static NavigableSet<Long> selectVersions(
      ModelVersionPolicy policy, Collection<Long> available) {
    TreeSet<Long> present = new TreeSet<>(available);
    TreeSet<Long> selected = new TreeSet<>();
    if (policy.hasAll()) {
      selected.addAll(present);
    } else if (policy.hasSpecific()) {
      for (long version : policy.getSpecific().getVersionsList()) {
        if (present.contains(version)) {
          selected.add(version);
        }
      }
    } else {
      int count = policy.hasLatest() ? Math.max(1, policy.getLatest().getNumVersions()) : 1;
      for (Long version : present.descendingSet()) {
        if (selected.size() == count) {
          break;
        }
        selected.add(version);
      }
    }
    return selected;
  }
}
