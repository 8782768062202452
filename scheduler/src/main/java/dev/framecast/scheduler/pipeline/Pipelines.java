package dev.framecast.scheduler.pipeline;

import dev.framecast.inference.v2.ModelConfig;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.node.NodePool;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;

/** Resolves configured pipelines against the model configs that healthy nodes report. */
public final class Pipelines {
  private Pipelines() {}

  /**
   * Reads each pipeline's three model configs from a node that serves them. Fails when no healthy
   * node serves a pipeline's models or a config lacks what the pipeline needs.
   */
  public static Map<String, Pipeline> resolve(
      List<PipelineSpec> specs, NodePool pool, Duration timeout) {
    Map<String, Pipeline> pipelines = new LinkedHashMap<>();
    for (PipelineSpec spec : specs) {
      Set<String> models = Set.of(spec.textEncoder(), spec.dit(), spec.vae());
      Node node =
          pool.healthy(models).stream()
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "no healthy node serves the models of pipeline '"
                              + spec.name()
                              + "': "
                              + models));
      try {
        ModelConfig text = node.client().config(spec.textEncoder(), timeout).join();
        ModelConfig dit = node.client().config(spec.dit(), timeout).join();
        ModelConfig vae = node.client().config(spec.vae(), timeout).join();
        pipelines.put(spec.name(), Pipeline.from(spec, text, dit, vae));
      } catch (CompletionException e) {
        throw new IllegalStateException(
            "reading the model configs of pipeline '" + spec.name() + "' from " + node + " failed",
            e.getCause());
      }
    }
    return pipelines;
  }
}
