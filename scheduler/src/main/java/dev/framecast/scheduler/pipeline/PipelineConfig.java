package dev.framecast.scheduler.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Reads the pipelines a scheduler serves from YAML:
 *
 * <pre>
 * pipelines:
 *   reference:
 *     text_encoder: text_encoder
 *     dit: dit
 *     vae: vae
 *     description: "16 frames of 64x64"
 *     default: true
 * </pre>
 *
 * Everything else about a pipeline is read from its models' configs on the nodes.
 */
public final class PipelineConfig {
  private static final Set<String> KEYS =
      Set.of("text_encoder", "dit", "vae", "description", "default");

  private PipelineConfig() {}

  public static List<PipelineSpec> load(Path file) throws IOException {
    return parse(Files.readString(file), file.toString());
  }

  public static List<PipelineSpec> parse(String yaml, String source) {
    Object root;
    try {
      root = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(source + ": not valid YAML: " + e.getMessage(), e);
    }
    if (!(root instanceof Map<?, ?> top)
        || !(top.get("pipelines") instanceof Map<?, ?> pipelines)
        || pipelines.isEmpty()) {
      throw new IllegalArgumentException(source + ": expected a non-empty 'pipelines' mapping");
    }
    List<PipelineSpec> specs = new ArrayList<>();
    int defaults = 0;
    for (Map.Entry<?, ?> entry : pipelines.entrySet()) {
      String name = String.valueOf(entry.getKey());
      if (!(entry.getValue() instanceof Map<?, ?> fields)) {
        throw new IllegalArgumentException(source + ": pipeline '" + name + "' must be a mapping");
      }
      for (Object key : fields.keySet()) {
        if (!KEYS.contains(String.valueOf(key))) {
          throw new IllegalArgumentException(
              source
                  + ": pipeline '"
                  + name
                  + "': unknown key '"
                  + key
                  + "' (expected "
                  + KEYS
                  + ")");
        }
      }
      boolean isDefault = Boolean.TRUE.equals(fields.get("default"));
      defaults += isDefault ? 1 : 0;
      specs.add(
          new PipelineSpec(
              name,
              required(source, name, fields, "text_encoder"),
              required(source, name, fields, "dit"),
              required(source, name, fields, "vae"),
              fields.get("description") == null ? "" : String.valueOf(fields.get("description")),
              isDefault));
    }
    if (defaults > 1) {
      throw new IllegalArgumentException(source + ": at most one pipeline may be the default");
    }
    return specs;
  }

  private static String required(String source, String pipeline, Map<?, ?> fields, String key) {
    Object value = fields.get(key);
    if (!(value instanceof String text) || text.isBlank()) {
      throw new IllegalArgumentException(
          source + ": pipeline '" + pipeline + "' needs '" + key + "' (a model name)");
    }
    return text;
  }
}
