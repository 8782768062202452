package dev.framecast.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.job.JobSpec;
import dev.framecast.scheduler.node.Node;
import dev.framecast.scheduler.node.TestNodes;
import dev.framecast.scheduler.pipeline.Pipeline;
import dev.framecast.scheduler.queue.FairQueue;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The owner of job state checks every move against the state the job leaves: a wrong move throws at
 * the move and changes nothing it has not checked, and every way out frees what the job held.
 */
class JobLinesTest {
  private static final Instant NOW = Instant.parse("2026-12-06T00:00:00Z");
  private static final Job.TextEmbedding TEXT =
      new Job.TextEmbedding(ByteString.copyFrom(new byte[4]), ByteString.copyFrom(new byte[4]));

  private final Pipeline pipeline = PlannerFixture.tiny(8);
  private final JobLines lines = new JobLines(new FairQueue(t -> 1.0), t -> 2);
  private final Node node = TestNodes.ready("a", () -> 0L, "text_encoder", "dit", "vae");
  private final Node other = TestNodes.ready("b", () -> 0L, "text_encoder", "dit", "vae");
  private int ids;

  private Job job(String tenant) {
    JobSpec spec = new JobSpec("reference", "p", "", 2, 4f, 0, true, 0, false, "");
    return new Job("job-" + ids++, tenant, spec, pipeline, NOW, 1 << 20);
  }

  /** A job taken in and made ready (its text cached). */
  private Job ready(String tenant) {
    Job job = job(tenant);
    lines.enqueue(job);
    lines.triageWaitingForText(
        j -> {
          j.setText(TEXT, TEXT);
          return JobLines.Triage.READY;
        });
    return job;
  }

  private Job denoising(String tenant) {
    Job job = ready(tenant);
    lines.join(job, node, NOW);
    return job;
  }

  @Test
  void takingInCountsTheJobAsNotStartedAndRefusesOneThatIsNotNew() {
    Job job = job("acme");
    assertThat(lines.enqueue(job)).isZero();
    assertThat(lines.enqueue(job("acme"))).isEqualTo(1);
    assertThat(lines.notStarted()).isEqualTo(2);
    assertThat(lines.anyWaiting()).isTrue();

    Job encoding = job("acme");
    encoding.transition(JobPhase.ENCODING_TEXT);
    assertThatThrownBy(() -> lines.enqueue(encoding))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("is ENCODING_TEXT, expected QUEUED");
  }

  @Test
  void aJobIsMadeReadyOnlyWithItsText() {
    lines.enqueue(job("acme"));
    assertThatThrownBy(() -> lines.triageWaitingForText(j -> JobLines.Triage.READY))
        .hasMessageContaining("without its text");
    assertThat(lines.readyCount()).isZero();
  }

  @Test
  void textInFlightThenReadyOrRetriedAtTheHeadOfTheLine() {
    Job first = job("acme");
    Job second = job("acme");
    lines.enqueue(first);
    lines.enqueue(second);
    lines.triageWaitingForText(j -> j == first ? JobLines.Triage.ENCODING : JobLines.Triage.WAIT);
    lines.awaitText("key", first);
    assertThat(first.phase()).isEqualTo(JobPhase.ENCODING_TEXT);
    assertThat(lines.textPending("key")).isTrue();

    assertThat(lines.textArrived("key")).containsExactly(first);
    assertThat(lines.textPending("key")).isFalse();
    lines.retryText(first);
    List<Job> order = new java.util.ArrayList<>();
    lines.forEachWaitingForText(order::add);
    assertThat(order).containsExactly(first, second);

    assertThatThrownBy(() -> lines.textReady(second))
        .hasMessageContaining("expected ENCODING_TEXT");
  }

  @Test
  void joiningTakesAReadyJobFromTheQueueAndStartsItOnce() {
    Job job = ready("acme");
    lines.join(job, node, NOW);
    assertThat(job.phase()).isEqualTo(JobPhase.DENOISING);
    assertThat(lines.activeOn(node)).containsExactly(job);
    assertThat(lines.readyCount()).isZero();
    assertThat(lines.running("acme")).isEqualTo(1);
    assertThat(lines.notStarted()).isZero();
    assertThat(lines.drainStarted()).containsExactly(new JobLines.Start(job, node));

    lines.requeue(job, node); // preempted: back at the head, not started again
    lines.join(job, other, NOW);
    assertThat(lines.drainStarted()).isEmpty();
    assertThat(lines.activeOn(node)).isEmpty();
    assertThat(lines.activeOn(other)).containsExactly(job);
    assertThat(lines.running("acme")).isEqualTo(1);
  }

  @Test
  void aJobNotReadyCannotJoinAndAJobCannotLeaveASetItIsNotIn() {
    Job queued = job("acme");
    lines.enqueue(queued);
    assertThatThrownBy(() -> lines.join(queued, node, NOW))
        .hasMessageContaining("is QUEUED, expected READY");
    assertThat(lines.activeOn(node)).isEmpty();

    Job job = denoising("acme");
    assertThatThrownBy(() -> lines.requeue(job, other))
        .hasMessageContaining("is not in node b's active set");
    assertThat(lines.activeOn(node)).containsExactly(job);
    assertThat(lines.running("acme")).isEqualTo(1);
  }

  @Test
  void aJobWithARequestInFlightStaysWhereItIs() {
    Job job = denoising("acme");
    lines.markInFlight(List.of(job));
    assertThatThrownBy(() -> lines.markInFlight(List.of(job)))
        .hasMessageContaining("already has a request in flight");
    assertThatThrownBy(() -> lines.requeue(job, node))
        .hasMessageContaining("with a request in flight");
    assertThatThrownBy(() -> lines.denoised(job, node))
        .hasMessageContaining("with a request in flight");
    assertThatThrownBy(() -> lines.end(job, JobPhase.CANCELLED, NOW))
        .hasMessageContaining("ends with a request in flight");
    assertThat(job.phase()).isEqualTo(JobPhase.DENOISING);

    lines.landed(List.of(job));
    assertThatThrownBy(() -> lines.landed(List.of(job)))
        .hasMessageContaining("had no request in flight");
    lines.denoised(job, node);
    assertThat(job.phase()).isEqualTo(JobPhase.DECODING);
  }

  @Test
  void decodingKeepsTheJobRunningUntilItEnds() {
    Job job = denoising("acme");
    lines.denoised(job, node);
    assertThat(lines.activeOn(node)).isEmpty();
    assertThat(lines.running("acme")).as("decoding still counts").isEqualTo(1);
    assertThat(lines.nextDecodePipeline()).isSameAs(pipeline);

    assertThat(lines.takeForDecode(pipeline, 8)).containsExactly(job);
    assertThat(lines.inFlight(job)).isTrue();
    assertThatThrownBy(() -> lines.rendering(job)).hasMessageContaining("request in flight");
    lines.landed(List.of(job));
    lines.retryDecode(job);
    assertThat(lines.decodeWaiting()).isTrue();
    lines.landed(lines.takeForDecode(pipeline, 8));
    lines.rendering(job);
    assertThat(job.phase()).isEqualTo(JobPhase.ENCODING_VIDEO);

    lines.end(job, JobPhase.SUCCEEDED, NOW);
    assertThat(lines.running("acme")).isZero();
    assertThat(lines.drainEnded()).containsExactly(job);
    assertThat(job.finished()).isEqualTo(NOW);
  }

  @Test
  void endingFreesWhateverTheJobHeldFromAnyPhase() {
    Job queued = job("acme");
    lines.enqueue(queued);
    Job ready = ready("acme");
    Job active = denoising("globex");
    lines.addPreview(active, 1, ByteString.EMPTY);

    lines.end(queued, JobPhase.CANCELLED, NOW);
    lines.end(ready, JobPhase.FAILED, NOW);
    lines.end(active, JobPhase.CANCELLED, NOW);

    assertThat(lines.anyWaiting()).isFalse();
    assertThat(lines.readyCount()).isZero();
    assertThat(lines.activeOn(node)).isEmpty();
    assertThat(lines.running("globex")).isZero();
    assertThat(lines.notStarted()).isZero();
    assertThat(lines.peekPreview()).as("its preview is dropped").isNull();
    assertThat(lines.drainEnded()).containsExactly(queued, ready, active);
    assertThat(lines.drainEnded()).isEmpty();

    assertThatThrownBy(() -> lines.end(active, JobPhase.FAILED, NOW))
        .hasMessageContaining("ended twice");
    assertThatThrownBy(() -> lines.end(job("acme"), JobPhase.READY, NOW))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void concurrencyCountsJobsRunningAndAboutToStart() {
    denoising("acme");
    assertThat(lines.belowConcurrency("acme", 0)).isTrue();
    assertThat(lines.belowConcurrency("acme", 1)).isFalse();
    assertThat(lines.belowConcurrency("globex", 1)).isTrue();
  }

  @Test
  void aRemovedNodeIsForgottenOnlyOnceItsSetIsEmpty() {
    Job job = denoising("acme");
    assertThat(lines.retainNodes(List.of(other))).contains(node, other);
    assertThat(lines.activeNodes()).contains(node);
    lines.requeue(job, node);
    assertThat(lines.retainNodes(List.of(other))).containsOnly(other);
    assertThat(lines.activeNodes()).doesNotContain(node);
  }
}
