package dev.framecast.node.batch;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.framecast.inference.v2.ModelConfig;
import dev.framecast.inference.v2.ModelParameter;
import dev.framecast.node.infer.DecodedRequest;
import dev.framecast.node.infer.InferenceException;
import dev.framecast.node.infer.InputTensor;
import dev.framecast.node.infer.ModelSignature;
import dev.framecast.node.infer.OutputTensor;
import dev.framecast.node.metrics.ModelStats;
import dev.framecast.node.sim.SimulatedGpu;
import dev.framecast.node.sim.SimulatedProfile;
import dev.framecast.node.tensor.Shapes;
import dev.framecast.node.tensor.TensorSpec;
import dev.framecast.node.tensor.TritonType;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Runs no model: holds the node's {@link SimulatedGpu} for the latency the {@link SimulatedProfile}
 * gives the batch's rows, then answers every request with outputs of the type and shape the model's
 * config declares. For load tests only.
 *
 * <p>Shapes: the batch dimension is the request's rows; a variable dimension (-1) takes the size of
 * the first variable dimension of the first input that has one, times the config's {@code
 * temporal_compression} parameter when present (the reference VAE: latents [C,F,H,W] give frames
 * [F,H,W,3]). Contents: an output with exactly the type and shape of an input carries that input's
 * bytes (the DiT's next_latents and denoised are its latents), so downstream sees plausible data;
 * any other output is zeros (BYTES: empty strings).
 */
public final class SimulatedBatchRunner implements BatchRunner {
  /** The config parameter that scales a variable output dimension (latent to video frames). */
  public static final String TEMPORAL_COMPRESSION = "temporal_compression";

  private final ModelSignature signature;
  private final long temporalCompression;
  private final SimulatedProfile profile;
  private final SimulatedGpu gpu;
  private final ModelStats stats;
  private final LongSupplier clock;

  /** The input whose first variable dimension sizes the outputs' variable ones, or null. */
  private final String variableInput;

  /** That dimension's index in the request's shape (batch dimension included). */
  private final int variableAxis;

  /**
   * @param signature the model version's tensors and batching
   * @param temporalCompression factor applied to a variable output dimension (1 = none); see {@link
   *     #temporalCompression(ModelConfig)}
   * @param profile latencies; must have points for {@code signature.model()}
   * @param gpu the node's simulated GPU, shared by all its models
   */
  public SimulatedBatchRunner(
      ModelSignature signature,
      long temporalCompression,
      SimulatedProfile profile,
      SimulatedGpu gpu,
      ModelStats stats,
      LongSupplier clock) {
    if (temporalCompression < 1) {
      throw new IllegalArgumentException(
          "temporal compression must be >= 1, got " + temporalCompression);
    }
    this.signature = signature;
    this.temporalCompression = temporalCompression;
    this.profile = profile;
    this.gpu = gpu;
    this.stats = stats;
    this.clock = clock;
    String input = null;
    int axis = -1;
    for (TensorSpec spec : signature.inputs().values()) {
      long[] dims = spec.dims();
      for (int i = 0; i < dims.length && input == null; i++) {
        if (dims[i] == -1) {
          input = spec.name();
          axis = signature.batched() ? i + 1 : i;
        }
      }
      if (input != null) {
        break;
      }
    }
    this.variableInput = input;
    this.variableAxis = axis;
  }

  /**
   * The config's {@code temporal_compression} parameter, or 1 when it has none. Throws
   * IllegalArgumentException when it is not an integer >= 1.
   */
  public static long temporalCompression(ModelConfig config) {
    ModelParameter parameter = config.getParametersMap().get(TEMPORAL_COMPRESSION);
    if (parameter == null) {
      return 1;
    }
    String value = parameter.getStringValue().strip();
    try {
      long parsed = Long.parseLong(value);
      if (parsed >= 1) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "parameter " + TEMPORAL_COMPRESSION + " must be an integer >= 1, got '" + value + "'");
  }

  @Override
  public void run(int instance, List<PendingRequest> batch) {
    long start = clock.getAsLong();
    try {
      // Shapes first: a request that cannot be answered fails without taking GPU time.
      List<PendingRequest> runnable = new ArrayList<>(batch.size());
      List<List<OutputTensor>> outputs = new ArrayList<>(batch.size());
      int rows = 0;
      for (PendingRequest request : batch) {
        try {
          outputs.add(outputs(request.request()));
          runnable.add(request);
          rows += request.batchSize();
        } catch (InferenceException e) {
          fail(request, e);
        }
      }
      if (runnable.isEmpty()) {
        return;
      }
      long latency = profile.latency(signature.model(), rows).toNanos();
      long inputDone = clock.getAsLong();
      gpu.execute(latency);
      long inferDone = clock.getAsLong();
      stats.execution(rows, inputDone - start, inferDone - inputDone, 0);
      for (int i = 0; i < runnable.size(); i++) {
        PendingRequest request = runnable.get(i);
        stats.success(
            inferDone - request.enqueueNanos(), request.dispatchNanos() - request.enqueueNanos());
        request.result().complete(outputs.get(i));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failAll(
          batch,
          new InferenceException(
              Status.Code.UNAVAILABLE,
              InferenceException.Reason.BACKEND,
              "simulated execution interrupted: the node is stopping",
              e));
    } catch (RuntimeException e) {
      failAll(
          batch,
          new InferenceException(
              Status.Code.INTERNAL,
              InferenceException.Reason.BACKEND,
              "simulated execution failed: " + e.getMessage(),
              e));
    }
  }

  private List<OutputTensor> outputs(DecodedRequest request) {
    List<OutputTensor> outputs = new ArrayList<>(request.outputs().size());
    for (String name : request.outputs()) {
      TensorSpec spec = signature.outputs().get(name);
      long[] shape = shape(request, spec);
      outputs.add(new OutputTensor(name, spec.type(), shape, content(request, spec.type(), shape)));
    }
    return outputs;
  }

  private long[] shape(DecodedRequest request, TensorSpec spec) {
    long[] shape =
        signature.batched() ? Shapes.withBatch(request.batchSize(), spec.dims()) : spec.dims();
    for (int i = signature.batched() ? 1 : 0; i < shape.length; i++) {
      if (shape[i] != -1) {
        continue;
      }
      if (variableInput == null) {
        throw InferenceException.invalid(
            "simulated model '"
                + signature.model()
                + "': output '"
                + spec.name()
                + "' has a variable dimension "
                + Shapes.format(spec.dims())
                + ", but no input of the model has one to take its size from");
      }
      long size = request.inputs().get(variableInput).shape()[variableAxis];
      try {
        shape[i] = Math.multiplyExact(size, temporalCompression);
      } catch (ArithmeticException overflow) {
        throw tooLarge(spec.name());
      }
    }
    return shape;
  }

  private ByteString content(DecodedRequest request, TritonType type, long[] shape) {
    if (type.isFixedSize()) {
      for (InputTensor input : request.inputs().values()) {
        if (input.spec().type() == type && Arrays.equals(input.shape(), shape)) {
          // The request's own bytes, not copied: the response only reads them.
          return UnsafeByteOperations.unsafeWrap(input.data().duplicate());
        }
      }
    }
    long count = Shapes.elementCount(shape);
    // BYTES: each element a 4-byte zero length, i.e. an empty string.
    long bytes = count < 0 ? -1 : count * (type.isFixedSize() ? type.elementSize() : 4);
    if (bytes < 0 || bytes > Integer.MAX_VALUE) {
      throw tooLarge(Shapes.format(shape));
    }
    return Zeros.of((int) bytes);
  }

  private InferenceException tooLarge(String what) {
    return InferenceException.invalid(
        "simulated model '" + signature.model() + "': output " + what + " is too large");
  }

  private void fail(PendingRequest request, InferenceException error) {
    stats.failure(error.reason(), clock.getAsLong() - request.enqueueNanos());
    request.result().completeExceptionally(error);
  }

  private void failAll(List<PendingRequest> batch, InferenceException error) {
    for (PendingRequest request : batch) {
      if (!request.result().isDone()) {
        fail(request, error);
      }
    }
  }

  /**
   * One zero buffer, grown to the largest output asked for; every zero output is a view of it
   * (ByteString.substring does not copy), so answering allocates nothing once it has grown. Shared
   * by every simulated model in the JVM: a load test that starts many nodes holds one.
   */
  private static final class Zeros {
    private static volatile ByteString zeros = ByteString.EMPTY;

    private Zeros() {}

    static ByteString of(int size) {
      ByteString current = zeros;
      if (current.size() < size) {
        synchronized (Zeros.class) {
          current = zeros;
          if (current.size() < size) {
            current = UnsafeByteOperations.unsafeWrap(new byte[size]);
            zeros = current;
          }
        }
      }
      return current.substring(0, size);
    }
  }
}
