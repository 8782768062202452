package dev.framecast.scheduler.pipeline;

import dev.framecast.inference.v2.ModelConfig;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.node.NodePool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** Resolves configured pipelines against the model configs that healthy nodes report. */
public final class Pipelines {
  private static final java.util.logging.Logger LOG =
      java.util.logging.Logger.getLogger(Pipelines.class.getName());

  private Pipelines() {}

  /**
   * The check a node must pass before it is used: for every pipeline, each of its models the node
   * has ready must match the contract (ModelMetadata: tensor names, datatypes, dims), and a node
   * with all three must have configs that give the same pipeline (ModelConfig).
   */
  public static NodePool.ContractCheck contractCheck(Map<String, Pipeline> pipelines) {
    return (node, readyModels, timeout) -> {
      List<CompletableFuture<List<String>>> checks = new ArrayList<>();
      for (Pipeline pipeline : pipelines.values()) {
        ModelContract contract = ModelContract.of(pipeline);
        for (ModelContract.Model model : contract.models()) {
          if (readyModels.contains(model.name())) {
            checks.add(
                node.client()
                    .metadata(model.name(), timeout)
                    .thenApply(metadata -> ModelContract.check(model, metadata)));
          }
        }
        PipelineSpec spec = pipeline.spec();
        if (readyModels.containsAll(List.of(spec.textEncoder(), spec.dit(), spec.vae()))) {
          CompletableFuture<ModelConfig> text = node.client().config(spec.textEncoder(), timeout);
          CompletableFuture<ModelConfig> dit = node.client().config(spec.dit(), timeout);
          CompletableFuture<ModelConfig> vae = node.client().config(spec.vae(), timeout);
          checks.add(
              CompletableFuture.allOf(text, dit, vae)
                  .thenApply(
                      ignored ->
                          ModelContract.checkConfigs(
                              pipeline, text.join(), dit.join(), vae.join())));
        }
      }
      return CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new))
          .thenApply(
              ignored -> {
                List<String> problems = new ArrayList<>();
                checks.forEach(c -> c.join().stream().distinct().forEach(problems::add));
                return problems.stream().distinct().toList();
              });
    };
  }

  /**
   * Reads each pipeline's three model configs from a node that serves them, preferring a node whose
   * models also pass the contract check for the pipeline its configs give (so one misconfigured
   * node cannot define the pipeline for the rest). Fails when no healthy node serves a pipeline's
   * models or a config lacks what the pipeline needs.
   */
  public static Map<String, Pipeline> resolve(
      List<PipelineSpec> specs, NodePool pool, Duration timeout) {
    Map<String, Pipeline> pipelines = new LinkedHashMap<>();
    for (PipelineSpec spec : specs) {
      Set<String> models = Set.of(spec.textEncoder(), spec.dit(), spec.vae());
      List<Node> nodes = List.copyOf(pool.healthy(models));
      if (nodes.isEmpty()) {
        throw new IllegalStateException(
            "no healthy node serves the models of pipeline '" + spec.name() + "': " + models);
      }
      Pipeline first = null;
      for (Node node : nodes) {
        Pipeline pipeline = read(spec, node, timeout);
        List<String> problems =
            contractCheck(Map.of(spec.name(), pipeline)).check(node, models, timeout).join();
        if (problems.isEmpty()) {
          first = pipeline;
          break;
        }
        LOG.warning(
            "pipeline '"
                + spec.name()
                + "' not taken from node "
                + node
                + ": "
                + String.join("; ", problems));
        first = first == null ? pipeline : first;
      }
      pipelines.put(spec.name(), first);
    }
    return pipelines;
  }

  private static Pipeline read(PipelineSpec spec, Node node, Duration timeout) {
    try {
      ModelConfig text = node.client().config(spec.textEncoder(), timeout).join();
      ModelConfig dit = node.client().config(spec.dit(), timeout).join();
      ModelConfig vae = node.client().config(spec.vae(), timeout).join();
      return Pipeline.from(spec, text, dit, vae);
    } catch (CompletionException e) {
      throw new IllegalStateException(
          "reading the model configs of pipeline '" + spec.name() + "' from " + node + " failed",
          e.getCause());
    }
  }
}
