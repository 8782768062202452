package dev.framecast.node.infer;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A validated inference request for one model version.
 *
 * @param id the request id, echoed in the response
 * @param batchSize rows in the batch dimension (1 for models without batching)
 * @param inputs inputs by name, in the model's declared order
 * @param outputs the outputs to return, in the order the response lists them
 * @param timeoutMicros the request's queue timeout (0 = the model's default)
 */
public record DecodedRequest(
    String id,
    int batchSize,
    Map<String, InputTensor> inputs,
    List<String> outputs,
    long timeoutMicros) {

  /**
   * Requests can share one ONNX Runtime call only when every non-batch dimension agrees; this key
   * says which do.
   */
  public String shapeKey() {
    StringBuilder key = new StringBuilder();
    for (InputTensor input : inputs.values()) {
      long[] shape = input.shape();
      key.append(Arrays.toString(Arrays.copyOfRange(shape, 1, shape.length))).append(';');
    }
    return key.toString();
  }
}
