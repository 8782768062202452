package dev.framecast.scheduler.pipeline;

import dev.framecast.inference.v2.ModelConfig;
import dev.framecast.inference.v2.ModelMetadataResponse;
import dev.framecast.inference.v2.ModelMetadataResponse.TensorMetadata;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The tensors the scheduler sends each model of a pipeline and the ones it reads back: names and
 * datatypes are the platform's contract (docs/architecture.md), sizes come from the pipeline (that
 * is, from the models' configs). A node's ModelMetadata and ModelConfig are checked against it
 * before the node is used, so a node serving other models is refused with a message saying what
 * differs instead of failing every job it is given.
 */
public final class ModelContract {
  /** Any size: the dimension varies between requests. */
  public static final long ANY = -1;

  /**
   * One tensor as the scheduler sends or reads it.
   *
   * @param dims without the batch dimension; {@link #ANY} where requests vary
   */
  public record Tensor(String name, String datatype, long[] dims) {
    public Tensor {
      dims = dims.clone();
    }

    @Override
    public long[] dims() {
      return dims.clone();
    }

    /** The full shape for a batch of {@code rows}, with {@code any} in place of ANY dims. */
    public long[] shape(int rows, long any) {
      long[] shape = new long[dims.length + 1];
      shape[0] = rows;
      for (int i = 0; i < dims.length; i++) {
        shape[i + 1] = dims[i] == ANY ? any : dims[i];
      }
      return shape;
    }

    @Override
    public String toString() {
      return datatype + " " + format(batched(dims));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Tensor t
          && name.equals(t.name)
          && datatype.equals(t.datatype)
          && Arrays.equals(dims, t.dims);
    }

    @Override
    public int hashCode() {
      return name.hashCode() * 31 + Arrays.hashCode(dims);
    }
  }

  /** One model's side of the contract. */
  public record Model(String name, List<Tensor> inputs, List<Tensor> outputs) {
    public Model {
      inputs = List.copyOf(inputs);
      outputs = List.copyOf(outputs);
    }

    public Tensor output(String output) {
      return outputs.stream()
          .filter(t -> t.name().equals(output))
          .findFirst()
          .orElseThrow(
              () -> new IllegalArgumentException("model '" + name + "' has no output " + output));
    }
  }

  public static final String INPUT_IDS = "input_ids";
  public static final String TEXT_EMBEDDINGS = "text_embeddings";
  public static final String ATTENTION_MASK = "attention_mask";
  public static final String LATENTS = "latents";
  public static final String NEXT_LATENTS = "next_latents";
  public static final String DENOISED = "denoised";
  public static final String FRAMES = "frames";
  public static final String NOISE_SEED = "noise_seed";
  public static final String NOISE_STREAM = "noise_stream";
  public static final String STOCHASTICITY = "stochasticity";

  private final Model textEncoder;
  private final Model dit;
  private final Model vae;

  private ModelContract(Model textEncoder, Model dit, Model vae) {
    this.textEncoder = textEncoder;
    this.dit = dit;
    this.vae = vae;
  }

  /** The contract of a resolved pipeline. */
  public static ModelContract of(Pipeline p) {
    long l = p.maxTextLength();
    long d = p.embeddingDim();
    long[] latents = {p.latentChannels(), p.latentFrames(), p.latentHeight(), p.latentWidth()};
    Model text =
        new Model(
            p.spec().textEncoder(),
            List.of(new Tensor(INPUT_IDS, "INT64", new long[] {l})),
            List.of(
                new Tensor(TEXT_EMBEDDINGS, "FP32", new long[] {l, d}),
                new Tensor(ATTENTION_MASK, "FP32", new long[] {l})));
    List<Tensor> ditInputs =
        new ArrayList<>(
            List.of(
                new Tensor(LATENTS, "FP32", latents),
                new Tensor("timestep", "FP32", new long[] {1}),
                new Tensor("next_timestep", "FP32", new long[] {1}),
                new Tensor(TEXT_EMBEDDINGS, "FP32", new long[] {l, d}),
                new Tensor(ATTENTION_MASK, "FP32", new long[] {l}),
                new Tensor("negative_text_embeddings", "FP32", new long[] {l, d}),
                new Tensor("negative_attention_mask", "FP32", new long[] {l}),
                new Tensor("guidance_scale", "FP32", new long[] {1})));
    if (p.sampler().takesNoise()) {
      ditInputs.add(new Tensor(NOISE_SEED, "INT64", new long[] {1}));
      ditInputs.add(new Tensor(NOISE_STREAM, "INT64", new long[] {1}));
      ditInputs.add(new Tensor(STOCHASTICITY, "FP32", new long[] {1}));
    }
    Model dit =
        new Model(
            p.spec().dit(),
            ditInputs,
            List.of(
                new Tensor(NEXT_LATENTS, "FP32", latents), new Tensor(DENOISED, "FP32", latents)));
    // Previews decode a few latent frames, clips all of them: the frame dimension varies.
    Model vae =
        new Model(
            p.spec().vae(),
            List.of(
                new Tensor(
                    LATENTS,
                    "FP32",
                    new long[] {p.latentChannels(), ANY, p.latentHeight(), p.latentWidth()})),
            List.of(
                new Tensor(FRAMES, "UINT8", new long[] {ANY, p.frameHeight(), p.frameWidth(), 3})));
    return new ModelContract(text, dit, vae);
  }

  public Model textEncoder() {
    return textEncoder;
  }

  public Model dit() {
    return dit;
  }

  public Model vae() {
    return vae;
  }

  public List<Model> models() {
    return List.of(textEncoder, dit, vae);
  }

  /**
   * What keeps a node's model from serving this contract, one line each (empty: nothing): every
   * input the scheduler sends must be one the model takes, with its datatype, and with dims that
   * accept every request; every input the model requires must be sent; every output the scheduler
   * reads must be there, with its datatype and dims; the model must batch (the scheduler always
   * sends a batch dimension).
   */
  public static List<String> check(Model model, ModelMetadataResponse metadata) {
    List<String> problems = new ArrayList<>();
    String who = "model '" + model.name() + "'";
    Map<String, TensorMetadata> inputs = byName(metadata.getInputsList());
    Map<String, TensorMetadata> outputs = byName(metadata.getOutputsList());
    for (Tensor sent : model.inputs()) {
      TensorMetadata got = inputs.remove(sent.name());
      if (got == null) {
        problems.add(
            who + " has no input '" + sent.name() + "' (the scheduler sends " + sent + ")");
      } else {
        compare(who + " input '" + sent.name() + "'", sent, got, problems);
      }
    }
    for (TensorMetadata extra : inputs.values()) {
      problems.add(
          who
              + " requires input '"
              + extra.getName()
              + "' ("
              + extra.getDatatype()
              + " "
              + format(extra.getShapeList())
              + "), which the scheduler does not send");
    }
    for (Tensor read : model.outputs()) {
      TensorMetadata got = outputs.get(read.name());
      if (got == null) {
        problems.add(
            who
                + " has no output '"
                + read.name()
                + "' (expected "
                + read
                + "; it has "
                + outputs.keySet()
                + ")");
      } else {
        compare(who + " output '" + read.name() + "'", read, got, problems);
      }
    }
    return problems;
  }

  /**
   * What keeps a node's model configs from serving {@code expected} (empty: nothing): the pipeline
   * its configs give must be the one the scheduler resolved (latent shape, text length, step and
   * guidance limits, frame size), and each model must take batches at least as large as the
   * scheduler forms.
   */
  public static List<String> checkConfigs(
      Pipeline expected, ModelConfig textEncoder, ModelConfig dit, ModelConfig vae) {
    List<String> problems = new ArrayList<>();
    for (ModelConfig config : List.of(textEncoder, dit, vae)) {
      if (config.getMaxBatchSize() < expected.maxBatchSize()) {
        problems.add(
            "model '"
                + config.getName()
                + "' has max_batch_size "
                + config.getMaxBatchSize()
                + "; the scheduler sends batches of up to "
                + expected.maxBatchSize());
      }
    }
    Pipeline got;
    try {
      got = Pipeline.from(expected.spec(), textEncoder, dit, vae);
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
      return problems;
    }
    for (RecordComponent component : Pipeline.class.getRecordComponents()) {
      if (!Set.of("spec", "maxBatchSize").contains(component.getName())) {
        differences(
            expected.name(),
            component.getName(),
            value(component, expected),
            value(component, got),
            problems);
      }
    }
    return problems;
  }

  /** Names each differing value, down into the pipeline's groups ("latents.frames"). */
  private static void differences(
      String pipeline, String name, Object want, Object have, List<String> problems) {
    if (want.getClass().isRecord() && want.getClass() == have.getClass()) {
      for (RecordComponent component : want.getClass().getRecordComponents()) {
        differences(
            pipeline,
            name + "." + component.getName(),
            value(component, want),
            value(component, have),
            problems);
      }
    } else if (!want.equals(have)) {
      problems.add(
          "pipeline '"
              + pipeline
              + "': its configs give "
              + name
              + " "
              + have
              + ", expected "
              + want);
    }
  }

  private static Object value(RecordComponent component, Object record) {
    try {
      return component.getAccessor().invoke(record);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Compares one tensor. Metadata dims start with -1 for a batching model. Each other dim must be
   * -1 (any) or the scheduler's size, and where the scheduler's size varies between requests it
   * must be -1. An output's -1 dims are checked on every response instead.
   */
  private static void compare(String what, Tensor ours, TensorMetadata got, List<String> problems) {
    if (!ours.datatype().equals(got.getDatatype())) {
      problems.add(what + " is " + got.getDatatype() + ", expected " + ours.datatype());
    }
    List<Long> shape = got.getShapeList();
    long[] want = batched(ours.dims());
    boolean fits = shape.size() == want.length && !shape.isEmpty() && shape.get(0) == ANY;
    for (int i = 1; fits && i < want.length; i++) {
      long have = shape.get(i);
      fits = have == ANY || (want[i] != ANY && have == want[i]);
    }
    if (!fits) {
      problems.add(
          what
              + " has dims "
              + format(shape)
              + ", expected "
              + format(want)
              + (shape.isEmpty() || shape.get(0) != ANY
                  ? " (the model must batch: max_batch_size > 0)"
                  : ""));
    }
  }

  private static long[] batched(long[] dims) {
    long[] shape = new long[dims.length + 1];
    shape[0] = ANY;
    System.arraycopy(dims, 0, shape, 1, dims.length);
    return shape;
  }

  private static Map<String, TensorMetadata> byName(List<TensorMetadata> tensors) {
    Map<String, TensorMetadata> byName = new LinkedHashMap<>();
    tensors.forEach(t -> byName.put(t.getName(), t));
    return byName;
  }

  static String format(long[] dims) {
    return Arrays.stream(dims).mapToObj(Long::toString).collect(Collectors.joining(",", "[", "]"));
  }

  static String format(List<Long> dims) {
    return dims.stream().map(String::valueOf).collect(Collectors.joining(",", "[", "]"));
  }
}
