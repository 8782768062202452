package dev.framecast.node.infer;

import dev.framecast.node.tensor.TensorSpec;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a request is validated against: a loaded model version's name, batching and tensors. */
public record ModelSignature(
    String model,
    long version,
    int maxBatchSize,
    Map<String, TensorSpec> inputs,
    Map<String, TensorSpec> outputs) {

  public static ModelSignature of(
      String model,
      long version,
      int maxBatchSize,
      List<TensorSpec> inputs,
      List<TensorSpec> outputs) {
    return new ModelSignature(model, version, maxBatchSize, byName(inputs), byName(outputs));
  }

  public boolean batched() {
    return maxBatchSize > 0;
  }

  private static Map<String, TensorSpec> byName(List<TensorSpec> specs) {
    Map<String, TensorSpec> map = new LinkedHashMap<>();
    specs.forEach(s -> map.put(s.name(), s));
    return Collections.unmodifiableMap(map);
  }
}
