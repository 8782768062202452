package dev.framecast.node;

import static dev.framecast.node.NodeClient.statusOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.inference.v2.ServerLiveRequest;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

/** The injected abrupt stop: the node stops answering at once, as if its process died. */
class StopAbruptlyTest {
  @Test
  void afterAnAbruptStopCallsFailWithUnavailable() throws Exception {
    try (InferenceNode node =
            InferenceNode.start(
                NodeOptions.builder(ConformanceTest.REPOSITORY)
                    .host("127.0.0.1")
                    .port(0)
                    .metricsPort(-1)
                    .loadModel("nobatch")
                    .build());
        NodeClient client = new NodeClient(node.port())) {
      assertThat(client.blocking().serverLive(ServerLiveRequest.getDefaultInstance()).getLive())
          .isTrue();
      node.faults().stopAbruptly();
      Status status =
          statusOf(() -> client.blocking().serverLive(ServerLiveRequest.getDefaultInstance()));
      assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }
  }
}
