package dev.framecast.scheduler.engine;

import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.node.Node;
import java.time.Instant;
import java.util.List;

/**
 * One tick's decisions, as values: the node requests to send now. Immutable (its lists are copies;
 * the jobs it names are identities the loop moves, never the plan); {@code schedule()} makes it,
 * the executor sends it, and each batch's result comes back to {@code apply}.
 *
 * @param batches the requests of this tick, each for one node
 * @param wakeAt when a decision falls due even if nothing else happens (a batching delay runs out),
 *     so the loop must plan again by then; null when none is pending
 * @param stranded jobs wait on nodes (for text, a place, or the VAE) and no healthy node is up
 */
public record Plan(List<Batch> batches, Instant wakeAt, boolean stranded) {
  public Plan {
    batches = List.copyOf(batches);
  }

  public boolean isEmpty() {
    return batches.isEmpty();
  }

  /** A request to one node on behalf of some jobs. */
  public sealed interface Batch permits Encode, Step, Decode, Preview {
    /** The node the request goes to. */
    Node node();

    /** The jobs it serves. */
    List<Job> jobs();

    /** The Triton request, tensors assembled. */
    ModelInferRequest request();

    /** The pipeline whose model it calls. */
    default dev.framecast.scheduler.pipeline.Pipeline pipeline() {
      return jobs().get(0).pipeline();
    }
  }

  /**
   * Text encoding of distinct prompts (cache misses) with one pipeline's text encoder.
   *
   * @param jobs the jobs this batch completes the text of (may be empty: their other prompts may
   *     come in a later batch, or the prompts serve jobs that attach later)
   * @param prompts the prompts in batch order
   */
  public record Encode(
      Node node,
      List<Job> jobs,
      dev.framecast.scheduler.pipeline.Pipeline pipeline,
      List<String> prompts,
      ModelInferRequest request)
      implements Batch {
    public Encode {
      jobs = List.copyOf(jobs);
      prompts = List.copyOf(prompts);
    }
  }

  /** One DiT step for every job of the batch. */
  public record Step(Node node, List<Job> jobs, ModelInferRequest request) implements Batch {
    public Step {
      jobs = List.copyOf(jobs);
    }
  }

  /** VAE decoding of finished jobs' final latents. */
  public record Decode(Node node, List<Job> jobs, ModelInferRequest request) implements Batch {
    public Decode {
      jobs = List.copyOf(jobs);
    }
  }

  /**
   * VAE decoding of a few frames of one job's current prediction, for a preview.
   *
   * @param step the step the prediction belongs to
   * @param frames latent frames decoded
   */
  public record Preview(Node node, List<Job> jobs, int step, int frames, ModelInferRequest request)
      implements Batch {
    public Preview {
      jobs = List.copyOf(jobs);
    }
  }
}
