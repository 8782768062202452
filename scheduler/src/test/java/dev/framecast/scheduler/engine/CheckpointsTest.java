package dev.framecast.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.Priority;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.job.LatentCheckpoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * Latent checkpoints as the loop takes them ({@link Checkpoints}), driven by hand: every N steps
 * while a job runs and after its last, all running jobs when the engine stops, and a job's
 * checkpoint deleted once it ends, in that order.
 */
class CheckpointsTest {
  /** A clip store that records what happens to checkpoints. */
  static final class Recording implements ClipStore {
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    final Map<String, LatentCheckpoint> latest = new ConcurrentHashMap<>();

    @Override
    public void put(String tenant, String jobId, byte[] clip) {}

    @Override
    public Optional<byte[]> get(String tenant, String jobId) {
      return Optional.empty();
    }

    @Override
    public void putCheckpoint(String tenant, String jobId, LatentCheckpoint checkpoint) {
      calls.add("put " + jobId + " " + checkpoint.step());
      latest.put(jobId, checkpoint);
    }

    @Override
    public void deleteCheckpoint(String tenant, String jobId) {
      calls.add("delete " + jobId);
      latest.remove(jobId);
    }
  }

  @Test
  void aRunningJobIsCheckpointedEveryNStepsAndItsCheckpointGoesWhenItEnds() {
    Recording store = new Recording();
    PlannerFixture f = new PlannerFixture(8).checkpointing(store, 2);
    f.start(SchedulingPolicy.continuous(), 8, f.node("a"));
    Job job = f.submit("acme", 5, Priority.PRIORITY_INTERACTIVE);
    for (int i = 0; i < 30 && !job.phase().isTerminal(); i++) {
      f.tick();
    }
    f.parts.checkpoints().close(); // waits for the writes
    assertThat(job.phase()).isEqualTo(JobPhase.SUCCEEDED);
    String id = job.id();
    assertThat(store.calls)
        .as("after steps 2 and 4 and the last (5), deleted at the end")
        .containsExactly(
            "put " + id + " 2", "put " + id + " 4", "put " + id + " 5", "delete " + id);
  }

  @Test
  void stoppingCheckpointsEveryJobBetweenStepsWithItsLatentsAndCharge() {
    Recording store = new Recording();
    PlannerFixture f = new PlannerFixture(8).checkpointing(store, 100);
    f.start(SchedulingPolicy.continuous(), 8, f.node("a"));
    Job first = f.submit("acme", 40, Priority.PRIORITY_INTERACTIVE);
    Job second = f.submit("globex", 40, Priority.PRIORITY_INTERACTIVE);
    for (int i = 0; i < 4; i++) {
      f.tick();
    }
    Job waiting = f.submit("initech", 40, Priority.PRIORITY_INTERACTIVE); // not started: no latents
    assertThat(first.step()).isPositive();
    int written = f.parts.checkpoints().stopping(List.of(first, second, waiting));
    f.parts.checkpoints().close();

    assertThat(written).isEqualTo(2);
    LatentCheckpoint checkpoint = store.latest.get(first.id());
    assertThat(checkpoint.step()).isEqualTo(first.step());
    assertThat(checkpoint.gpuSeconds()).isEqualTo(first.gpuSeconds());
    assertThat(checkpoint.latents()).isEqualTo(first.latents().toByteArray());
    assertThat(checkpoint.fits(first.totalSteps(), first.pipeline().latentSize())).isTrue();
    assertThat(checkpoint.madeBy(first.pipeline().stepFingerprint()))
        .as("it names the pipeline configuration that made it")
        .isTrue();
    assertThat(store.latest).containsOnlyKeys(first.id(), second.id());
  }
}
