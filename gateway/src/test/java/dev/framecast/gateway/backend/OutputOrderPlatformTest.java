package dev.framecast.gateway.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.common.Caller;
import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.node.infer.OutputOrder;
import dev.framecast.scheduler.engine.EngineConfig;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded platform (the gateway's backend, its scheduler, and an inference node running the
 * reference models over Triton's protocol) with the node listing outputs as Triton does (by name)
 * and in a random order per response: the job completes with the same previews and frames, bit for
 * bit, because the scheduler matches outputs by name.
 */
class OutputOrderPlatformTest {
  @TempDir Path dir;

  /** Digests of the job's preview and frame PNGs, in event order. */
  private List<String> generate(OutputOrder order) throws Exception {
    try (InferenceNode node =
        InferenceNode.start(
            NodeOptions.builder(EmbeddedSettingsTest.MODELS)
                .host("127.0.0.1")
                .port(0)
                .metricsPort(-1)
                .intraOpThreads(1)
                .outputOrder(order)
                .build())) {
      try (EmbeddedBackend backend =
          new EmbeddedBackend(
              new EmbeddedBackend.Settings(
                  dir.resolve("no-models-here"),
                  null,
                  dir.resolve("clips-" + order),
                  1,
                  List.of("127.0.0.1:" + node.port()),
                  EngineConfig.defaults(),
                  -1))) {
        Caller caller = new Caller("acme", "test", false);
        String id =
            backend
                .submit(
                    caller,
                    GenerateRequest.newBuilder()
                        .setPrompt("a red circle moving right")
                        .setSeed(42)
                        .setSteps(4)
                        .setPreviewEvery(2)
                        .setIncludeFrames(true)
                        .build())
                .getId();
        List<JobEvent> events = collect(backend.events(caller, id, 0));
        JobEvent last = events.get(events.size() - 1);
        assertThat(last.hasCompleted()).as(order + ": " + last).isTrue();
        List<String> digests = new ArrayList<>();
        for (JobEvent event : events) {
          if (event.hasProgress() && !event.getProgress().getPreviewPng().isEmpty()) {
            digests.add("preview " + sha256(event.getProgress().getPreviewPng().toByteArray()));
          } else if (event.hasFrame()) {
            digests.add("frame " + sha256(event.getFrame().getPng().toByteArray()));
          }
        }
        return digests;
      }
    }
  }

  @Test
  void framesAreBitIdenticalWhateverOrderTheNodeListsItsOutputsIn() throws Exception {
    List<String> byName = generate(OutputOrder.NAME);
    assertThat(byName).hasSize(17); // the preview after step 2, then 16 frames
    assertThat(generate(OutputOrder.SHUFFLE)).isEqualTo(byName);
  }

  private static List<JobEvent> collect(Flow.Publisher<JobEvent> publisher) throws Exception {
    List<JobEvent> events = new ArrayList<>();
    CompletableFuture<List<JobEvent>> done = new CompletableFuture<>();
    publisher.subscribe(
        new Flow.Subscriber<>() {
          @Override
          public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
          }

          @Override
          public void onNext(JobEvent event) {
            events.add(event);
          }

          @Override
          public void onError(Throwable error) {
            done.completeExceptionally(error);
          }

          @Override
          public void onComplete() {
            done.complete(events);
          }
        });
    return done.get(Duration.ofMinutes(2).toSeconds(), TimeUnit.SECONDS);
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
