package dev.framecast.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.JobEvent;
import dev.framecast.node.infer.OutputOrder;
import dev.framecast.scheduler.job.Job;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Real nodes running the reference models, answering their outputs in Triton's order (by name), in
 * the order the request names them (what this node did before outputs were read by name), and in a
 * random order per response: every job completes with the same clip and previews, bit for bit.
 */
class OutputOrderEngineTest {

  /** Each job's previews and clip (the recording renderer keeps raw frames), as hex digests. */
  private static List<String> run(OutputOrder order) throws Exception {
    try (Harness harness =
        new Harness(
            1,
            EngineConfig.defaults(),
            UsageSink.NONE,
            Harness.REPOSITORY,
            node -> node.outputOrder(order))) {
      List<Job> jobs = new ArrayList<>();
      String[] prompts = {"a red circle moving right", "a blue square moving up", "green"};
      for (int i = 0; i < prompts.length; i++) {
        // Submitted together, so they share text-encoder, DiT and VAE batches.
        jobs.add(
            harness.submit(
                "acme",
                Harness.request(prompts[i], 7 + i, 4).toBuilder().setPreviewEvery(2).build()));
      }
      List<String> digests = new ArrayList<>();
      for (Job job : jobs) {
        List<JobEvent> events = Harness.awaitEnd(job, Duration.ofSeconds(120));
        JobEvent last = events.get(events.size() - 1);
        assertThat(last.hasCompleted()).as(order + ": " + last).isTrue();
        events.stream()
            .filter(e -> e.hasProgress() && !e.getProgress().getPreviewPng().isEmpty())
            .forEach(
                e ->
                    digests.add(
                        "preview " + digest(e.getProgress().getPreviewPng().toByteArray())));
        digests.add("clip " + digest(harness.store.get("acme", job.id()).orElseThrow()));
      }
      return digests;
    }
  }

  private static String digest(byte[] bytes) {
    try {
      return HexFormat.of()
          .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void everyOutputOrderGivesBitIdenticalClipsAndPreviews() throws Exception {
    List<String> requestOrder = run(OutputOrder.REQUEST);
    assertThat(requestOrder).hasSize(6).doesNotHaveDuplicates();
    assertThat(run(OutputOrder.NAME)).isEqualTo(requestOrder);
    assertThat(run(OutputOrder.SHUFFLE)).isEqualTo(requestOrder);
  }
}
