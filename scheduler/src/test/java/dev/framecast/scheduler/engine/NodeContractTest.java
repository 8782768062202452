package dev.framecast.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.node.sim.SimulatedProfile;
import dev.framecast.scheduler.job.Job;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose models differ from what the scheduler sends and reads (its ModelMetadata says so) is
 * refused at start with a message saying what differs, is reported, and is never used; a job that
 * has no other node gets a clear status instead of waiting for ever. Nodes are simulated (Triton's
 * protocol over the repository's configs, no model runs), so a config can be changed.
 */
class NodeContractTest {
  private static final SimulatedProfile PROFILE =
      SimulatedProfile.parse("test", "text_encoder,1,1\ndit,1,1\nvae,1,1\n", 1.0);

  /** A short wait for a node, so the job's status comes quickly. */
  private static final EngineConfig CONFIG =
      TestParts.config(100, 1000, 64L << 20, Duration.ofSeconds(1), Duration.ofHours(1));

  @TempDir Path dir;

  /** The reference configs, with {@code change} applied to one model's config. */
  private Path repository(String name, String model, UnaryOperator<String> change)
      throws IOException {
    Path repo = dir.resolve(name);
    for (String m : List.of("text_encoder", "dit", "vae")) {
      Files.createDirectories(repo.resolve(m).resolve("1"));
      String config = Files.readString(Harness.REPOSITORY.resolve(m).resolve("config.pbtxt"));
      Files.writeString(
          repo.resolve(m).resolve("config.pbtxt"), m.equals(model) ? change.apply(config) : config);
    }
    return repo;
  }

  private static String withoutDenoised(String config) {
    String changed =
        config.replaceAll(
            ",\\s*\\{\\s*name: \"denoised\"\\s*data_type: TYPE_FP32\\s*dims: \\[[^\\]]*\\]\\s*\\}",
            "");
    assertThat(changed).isNotEqualTo(config).doesNotContain("denoised");
    return changed;
  }

  private static String narrowEmbeddings(String config) {
    String changed =
        config.replaceFirst(
            "(name: \"text_embeddings\"\\s*data_type: TYPE_FP32\\s*dims: \\[ 64, )(\\d+)", "$196");
    assertThat(changed).isNotEqualTo(config);
    return changed;
  }

  private Harness harness(List<Path> repositories) throws IOException {
    return new Harness(repositories, CONFIG, UsageSink.NONE, node -> node.simulate(PROFILE));
  }

  @Test
  void aDitWithoutDenoisedIsRefusedAtStartAndAJobGetsAClearStatus() throws Exception {
    try (Harness harness = harness(List.of(repository("bad", "dit", c -> withoutDenoised(c))))) {
      String why =
          "model 'dit' has no output 'denoised' (expected FP32 [-1,4,16,16,16]; it has"
              + " [next_latents])";
      assertThat(harness.pool.refusals()).containsExactly(java.util.Map.entry("node-0", why));
      assertThat(harness.pool.nodes().get(0).canRun(java.util.Set.of())).isFalse();

      Job job = harness.submit("acme", Harness.request("a red circle", 1, 4));
      List<JobEvent> events = Harness.awaitEnd(job, Duration.ofSeconds(30));
      JobEvent last = events.get(events.size() - 1);
      assertThat(last.hasFailed()).as(last.toString()).isTrue();
      assertThat(last.getFailed().getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE.value());
      assertThat(last.getFailed().getStatus().getMessage())
          .isEqualTo(
              "no healthy node can run pipeline 'reference' (refused: node node-0: " + why + ")");
    }
  }

  @Test
  void textEmbeddingsOfTheWrongWidthAreRefused() throws Exception {
    try (Harness harness =
        harness(List.of(repository("narrow", "text_encoder", c -> narrowEmbeddings(c))))) {
      assertThat(harness.pool.refusals())
          .containsExactly(
              java.util.Map.entry(
                  "node-0",
                  "model 'text_encoder' output 'text_embeddings' has dims [-1,64,96],"
                      + " expected [-1,64,128]"));
    }
  }

  @Test
  void aGoodNodeBesideARefusedOneServesTheJobs() throws Exception {
    Path bad = repository("bad", "dit", c -> withoutDenoised(c));
    Path good = repository("good", "dit", c -> c);
    try (Harness harness = harness(List.of(bad, good))) {
      assertThat(harness.pool.refusals()).containsOnlyKeys("node-0");
      Job job = harness.submit("acme", Harness.request("a red circle", 1, 4));
      Harness.awaitEnd(job, Duration.ofSeconds(30));
      assertThat(job.toProto().getState()).isEqualTo(JobState.SUCCEEDED);
      assertThat(harness.nodes.get(0).simulatedGpu().orElseThrow().executions()).isZero();
    }
  }
}
