package dev.framecast.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.framecast.api.v1.Priority;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.node.Node;
import io.grpc.Status;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Requests name the outputs they want; responses are read by name, in whatever order they come, and
 * a response that lacks an output or carries one of the wrong shape fails its batch with INTERNAL,
 * without a retry and without touching the text cache.
 */
class ResponseContractTest {
  private final PlannerFixture f = new PlannerFixture(8);
  private final Node node = f.node("a");

  private Job submit(int steps, int previewEvery) {
    return f.submit("acme", steps, Priority.PRIORITY_INTERACTIVE, previewEvery);
  }

  private static List<String> requested(Plan.Batch batch) {
    return batch.request().getOutputsList().stream().map(o -> o.getName()).toList();
  }

  private static Plan.Batch only(Plan plan, Class<? extends Plan.Batch> kind) {
    return plan.batches().stream().filter(kind::isInstance).findFirst().orElseThrow();
  }

  @Test
  void requestsNameTheirOutputsAndStepsAskForDenoisedOnlyWhenAPreviewIsDue() {
    f.start(SchedulingPolicy.continuous(), 8, node);
    Job job = submit(4, 2);
    assertThat(requested(only(f.tick(), Plan.Encode.class)))
        .containsExactly("text_embeddings", "attention_mask");
    assertThat(requested(only(f.tick(), Plan.Step.class))).containsExactly("next_latents");
    // After step 2 of 4 a preview is due: the prediction comes back too.
    Plan second = f.tick();
    assertThat(requested(only(second, Plan.Step.class)))
        .containsExactly("next_latents", "denoised");
    assertThat(requested(only(f.tick(), Plan.Preview.class))).containsExactly("frames");
    f.tick(); // step 4
    assertThat(requested(only(f.tick(), Plan.Decode.class))).containsExactly("frames");
    f.tick();
    assertThat(job.phase()).isEqualTo(JobPhase.SUCCEEDED);
  }

  @Test
  void outputsAreMatchedByNameWhateverTheirOrder() {
    f.start(SchedulingPolicy.continuous(), 8, node);
    Job job = submit(3, 1);
    f.encodedAll();
    // denoised (all 2.0) listed before next_latents (all 1.0), then reversed: by position the
    // job would take the prediction for its next latents in one of the two.
    for (boolean reversed : new boolean[] {false, true}) {
      f.tickAnswering(
          batch -> {
            ModelInferResponse ordered = PlannerFixture.answer(batch);
            if (!(batch instanceof Plan.Step)) {
              return ordered;
            }
            ModelInferResponse filled = fill(ordered);
            return reversed ? reverse(filled) : filled;
          });
      assertThat(floats(job.latents())).containsOnly(1f);
    }
  }

  @Test
  void aMissingOutputFailsTheBatchWithInternalAndNothingEntersTheTextCache() {
    f.start(SchedulingPolicy.continuous(), 8, node);
    Job job = submit(3, 0); // its prompt and the empty negative prompt: two rows
    f.tickAnswering(
        batch -> {
          ModelInferResponse full = PlannerFixture.answer(batch);
          return batch instanceof Plan.Encode ? drop(full, "attention_mask") : full;
        });
    assertThat(job.phase()).isEqualTo(JobPhase.FAILED);
    assertThat(job.error().getCode()).isEqualTo(Status.Code.INTERNAL.value());
    assertThat(job.error().getMessage())
        .isEqualTo(
            "model 'text_encoder' answered without output 'attention_mask' (expected"
                + " attention_mask FP32 [2, 4]; it sent [text_embeddings])");
    assertThat(f.parts.texts().get(f.pipeline, "p0")).isNull();
    // Not retried: nothing is left to plan.
    assertThat(f.tick().batches()).isEmpty();
  }

  @Test
  void aStepOutputOfTheWrongShapeFailsItsJobsWithInternalWithoutARetry() {
    f.start(SchedulingPolicy.continuous(), 8, node);
    Job a = submit(3, 0);
    Job b = submit(3, 0);
    f.encodedAll();
    List<Integer> steps = new ArrayList<>();
    f.tickAnswering(
        batch -> {
          steps.add(batch.jobs().size());
          ModelInferResponse full = PlannerFixture.answer(batch);
          ModelInferResponse.Builder wrong = full.toBuilder();
          wrong.getOutputsBuilder(0).setShape(0, 1); // one row for a batch of two
          return wrong.build();
        });
    assertThat(steps).containsExactly(2);
    for (Job job : List.of(a, b)) {
      assertThat(job.phase()).isEqualTo(JobPhase.FAILED);
      assertThat(job.error().getCode()).isEqualTo(Status.Code.INTERNAL.value());
      assertThat(job.error().getMessage())
          .isEqualTo(
              "model 'dit' output 'next_latents' is FP32 [1, 2, 2, 2, 2], expected FP32"
                  + " [2, 2, 2, 2, 2]");
    }
    assertThat(f.tick().batches()).isEmpty();
  }

  /** The response with next_latents all 1.0 and denoised (if any) all 2.0. */
  private static ModelInferResponse fill(ModelInferResponse response) {
    ModelInferResponse.Builder filled = response.toBuilder();
    for (int i = 0; i < response.getOutputsCount(); i++) {
      float value = response.getOutputs(i).getName().equals("next_latents") ? 1f : 2f;
      int n = response.getRawOutputContents(i).size() / 4;
      ByteBuffer buffer = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (int k = 0; k < n; k++) {
        buffer.putFloat(value);
      }
      filled.setRawOutputContents(i, ByteString.copyFrom(buffer.array()));
    }
    return filled.build();
  }

  private static ModelInferResponse reverse(ModelInferResponse response) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < response.getOutputsCount(); i++) {
      order.add(i);
    }
    Collections.reverse(order);
    ModelInferResponse.Builder reversed =
        response.toBuilder().clearOutputs().clearRawOutputContents();
    for (int i : order) {
      reversed.addOutputs(response.getOutputs(i));
      reversed.addRawOutputContents(response.getRawOutputContents(i));
    }
    return reversed.build();
  }

  private static ModelInferResponse drop(ModelInferResponse response, String name) {
    ModelInferResponse.Builder kept = response.toBuilder().clearOutputs().clearRawOutputContents();
    for (int i = 0; i < response.getOutputsCount(); i++) {
      if (!response.getOutputs(i).getName().equals(name)) {
        kept.addOutputs(response.getOutputs(i));
        kept.addRawOutputContents(response.getRawOutputContents(i));
      }
    }
    return kept.build();
  }

  private static float[] floats(ByteString bytes) {
    ByteBuffer buffer = bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[bytes.size() / 4];
    for (int i = 0; i < values.length; i++) {
      values[i] = buffer.getFloat();
    }
    return values;
  }
}
