package dev.framecast.node;

import static dev.framecast.node.NodeClient.checkSimple;
import static dev.framecast.node.NodeClient.simple;
import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.inference.v2.ModelInferRequest.InferRequestedOutputTensor;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.node.infer.OutputOrder;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Responses list outputs by name, as Triton's ONNX Runtime backend does, whatever order the request
 * names them in; the test orders (request, reverse, shuffle) keep each name with its contents.
 */
class OutputOrderTest {
  /** "simple" asking for OUTPUT1 before OUTPUT0: the request's order is not the name order. */
  private static ModelInferRequest backwards() {
    return simple("simple", "r", 1, 0f).toBuilder()
        .addOutputs(InferRequestedOutputTensor.newBuilder().setName("OUTPUT1"))
        .addOutputs(InferRequestedOutputTensor.newBuilder().setName("OUTPUT0"))
        .build();
  }

  private static List<String> names(ModelInferResponse response) {
    return response.getOutputsList().stream().map(o -> o.getName()).toList();
  }

  @ParameterizedTest
  @CsvSource({
    "NAME, OUTPUT0;OUTPUT1, OUTPUT0;OUTPUT1",
    "REQUEST, OUTPUT1;OUTPUT0, OUTPUT0;OUTPUT1",
    "REVERSE, OUTPUT1;OUTPUT0, OUTPUT1;OUTPUT0"
  })
  void fixedOrders(OutputOrder order, String requested, String unrequested) throws Exception {
    try (InferenceNode node = start(order);
        NodeClient client = new NodeClient(node.port())) {
      ModelInferResponse named = checkSimple(client.blocking().modelInfer(backwards()), 1, 0f);
      assertThat(names(named)).containsExactly(requested.split(";"));
      // No outputs named: all of them, in the same order rule (the config's for REQUEST).
      ModelInferResponse all =
          checkSimple(client.blocking().modelInfer(simple("simple", "r", 1, 0f)), 1, 0f);
      assertThat(names(all)).containsExactly(unrequested.split(";"));
    }
  }

  @Test
  void shuffleGivesBothOrdersAndKeepsEachNameWithItsContents() throws Exception {
    try (InferenceNode node = start(OutputOrder.SHUFFLE);
        NodeClient client = new NodeClient(node.port())) {
      Set<List<String>> seen = new HashSet<>();
      // Both orders come up in 40 responses but with probability 2^-39.
      for (int i = 0; i < 40; i++) {
        seen.add(names(checkSimple(client.blocking().modelInfer(backwards()), 1, 0f)));
      }
      assertThat(seen)
          .containsExactlyInAnyOrder(List.of("OUTPUT0", "OUTPUT1"), List.of("OUTPUT1", "OUTPUT0"));
    }
  }

  private static InferenceNode start(OutputOrder order) throws Exception {
    return InferenceNode.start(
        NodeOptions.builder(ConformanceTest.REPOSITORY)
            .host("127.0.0.1")
            .port(0)
            .metricsPort(-1)
            .loadModel("simple")
            .outputOrder(order)
            .build());
  }
}
