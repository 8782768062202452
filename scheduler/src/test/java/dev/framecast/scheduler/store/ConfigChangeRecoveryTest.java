package dev.framecast.scheduler.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.common.Caller;
import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.scheduler.Renderers;
import dev.framecast.scheduler.SchedulerServer;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import dev.framecast.scheduler.service.SchedulerCore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job stopped halfway, and the DiT config's schedule changed before the scheduler starts again:
 * the latents it left were made on the old schedule, so the job starts over on the new one (and is
 * charged once), with the clip an undisturbed run of the new configuration makes, instead of
 * finishing the old latents on a trajectory neither configuration would take.
 */
class ConfigChangeRecoveryTest {
  private static final Caller GLOBEX = new Caller("globex", "test", false);
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @TempDir Path dir;

  @Test
  void aCheckpointMadeOnAnotherScheduleIsNotResumed() throws Exception {
    Path models = copyModels(dir.resolve("models"));
    SchedulerServer.Database database = TestDatabases.fresh(TestDatabases.Kind.SQLITE, dir);
    GenerateRequest request =
        GenerateRequest.newBuilder()
            .setPrompt("a blue square moving down")
            .setSeed(2)
            .setSteps(40)
            .build();
    Job b;
    DurableSchedulerTest.Recorder before = new DurableSchedulerTest.Recorder();
    try (InferenceNode node = start(models);
        SchedulerServer first =
            new SchedulerServer(options(node, database), Renderers.standard())) {
      SchedulerCore core = first.core();
      b = core.submit(GLOBEX, request);
      core.events(GLOBEX, b.getId(), 0).subscribe(before);
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (core.get(GLOBEX, b.getId()).getStep() < 2) {
        assertThat(System.nanoTime()).as("b running").isLessThan(deadline);
        Thread.sleep(10);
      }
    }
    // The first scheduler checkpointed b as it stopped: latents made on the shift-3 schedule.
    try (Stream<Path> files = Files.list(dir.resolve("clips/globex"))) {
      assertThat(files.map(p -> p.getFileName().toString())).contains(b.getId() + ".latents");
    }
    Path dit = models.resolve("dit/config.pbtxt");
    String config = Files.readString(dit);
    String shift3 = "key: \"timestep_shift\" value: { string_value: \"3.0\" }";
    assertThat(config).contains(shift3);
    Files.writeString(
        dit, config.replace(shift3, "key: \"timestep_shift\" value: { string_value: \"2.0\" }"));

    try (InferenceNode node = start(models);
        SchedulerServer second =
            new SchedulerServer(options(node, database), Renderers.standard())) {
      SchedulerCore core = second.core();
      assertThat(second.engine().pipelines().get("reference").schedule().shift()).isEqualTo(2f);
      DurableSchedulerTest.Recorder after =
          DurableSchedulerTest.Recorder.of(core, GLOBEX, b.getId(), before.lastSeq());
      List<JobEvent> rest = after.await();
      assertThat(rest.get(rest.size() - 1).hasCompleted()).isTrue();
      int firstAfter =
          rest.stream()
              .filter(JobEvent::hasProgress)
              .findFirst()
              .orElseThrow()
              .getProgress()
              .getStep();
      assertThat(firstAfter).as("started over: its checkpoint is another schedule's").isEqualTo(1);

      // The same request run undisturbed on the new configuration: the same clip, bit for bit.
      Job reference = core.submit(GLOBEX, request);
      DurableSchedulerTest.Recorder.of(core, GLOBEX, reference.getId(), 0).await();
      assertThat(core.get(GLOBEX, b.getId()).getState()).isEqualTo(JobState.SUCCEEDED);
      assertThat(core.clip(GLOBEX, b.getId()).orElseThrow())
          .isEqualTo(core.clip(GLOBEX, reference.getId()).orElseThrow());
      // Charged for the run that made its clip only: the lost steps were given back.
      assertThat(core.usage(GLOBEX, "").getGpuSecondsToday())
          .isCloseTo(
              core.get(GLOBEX, b.getId()).getGpuSeconds()
                  + core.get(GLOBEX, reference.getId()).getGpuSeconds(),
              org.assertj.core.data.Percentage.withPercentage(1));
    }
  }

  private SchedulerServer.Options options(InferenceNode node, SchedulerServer.Database database) {
    return new SchedulerServer.Options(
        List.of("127.0.0.1:" + node.port()),
        List.of(PipelineSpec.reference()),
        null,
        dir.resolve("clips"),
        Duration.ofDays(7),
        EngineConfig.defaults(),
        1,
        database);
  }

  private static InferenceNode start(Path models) throws Exception {
    return InferenceNode.start(
        NodeOptions.builder(models).host("127.0.0.1").port(0).metricsPort(-1).build());
  }

  /** The three models of the repository (configs and ONNX files), into {@code target}. */
  private static Path copyModels(Path target) throws IOException {
    Path repository = Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
    for (String model : List.of("text_encoder", "dit", "vae")) {
      Path from = repository.resolve(model);
      try (Stream<Path> walk = Files.walk(from)) {
        for (Path p : (Iterable<Path>) walk::iterator) {
          Path to = target.resolve(model).resolve(from.relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(to);
          } else {
            Files.copy(p, to);
          }
        }
      }
    }
    return target;
  }
}
