package dev.framecast.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.inference.v2.ModelInferRequest.InferInputTensor;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobSpec;
import dev.framecast.scheduler.pipeline.ModelContract;
import dev.framecast.scheduler.pipeline.Pipeline;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The DiT step request as the model contract describes it, the sampler's inputs included. */
class RequestsTest {
  private static Pipeline pipeline(Pipeline.Sampler sampler) {
    return pipeline(sampler, Pipeline.Schedule.LINEAR_UNSHIFTED);
  }

  private static Pipeline pipeline(Pipeline.Sampler sampler, Pipeline.Schedule schedule) {
    Pipeline tiny = PlannerFixture.tiny(8);
    return new Pipeline(
        PipelineSpec.reference(),
        tiny.text(),
        tiny.latents(),
        tiny.steps(),
        tiny.guidance(),
        schedule,
        tiny.noise(),
        sampler,
        tiny.video(),
        tiny.maxBatchSize());
  }

  private static Job job(Pipeline p, long seed, int stepsDone) {
    GenerateRequest request =
        GenerateRequest.newBuilder()
            .setPrompt("a red circle moving right")
            .setModel("reference")
            .setSteps(10)
            .setGuidanceScale(3f)
            .setSeed(seed)
            .build();
    Job job = new Job("j" + seed, "acme", JobSpec.of(request), p, Instant.EPOCH, 1 << 20);
    Job.TextEmbedding text =
        new Job.TextEmbedding(
            ByteString.copyFrom(new byte[4 * 8 * 4]), ByteString.copyFrom(new byte[4 * 4]));
    job.setText(text, text);
    job.setLatents(ByteString.copyFrom(new byte[p.latentSize() * Float.BYTES]));
    for (int i = 0; i < stepsDone; i++) {
      job.advance(job.latents());
    }
    return job;
  }

  private static ByteBuffer raw(ModelInferRequest request, String input) {
    for (int i = 0; i < request.getInputsCount(); i++) {
      if (request.getInputs(i).getName().equals(input)) {
        return request.getRawInputContents(i).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      }
    }
    throw new AssertionError("no input " + input);
  }

  /** Every input the contract lists, in its order, with its datatype and batched dims. */
  private static void matchesTheContract(ModelInferRequest request, Pipeline p, int rows) {
    List<ModelContract.Tensor> contract = ModelContract.of(p).dit().inputs();
    assertThat(request.getInputsList().stream().map(InferInputTensor::getName))
        .containsExactlyElementsOf(contract.stream().map(ModelContract.Tensor::name).toList());
    assertThat(request.getRawInputContentsCount()).isEqualTo(contract.size());
    for (int i = 0; i < contract.size(); i++) {
      InferInputTensor input = request.getInputs(i);
      assertThat(input.getDatatype()).isEqualTo(contract.get(i).datatype());
      long[] shape = input.getShapeList().stream().mapToLong(Long::longValue).toArray();
      assertThat(shape).as(input.getName()).isEqualTo(contract.get(i).shape(rows, 0));
      long elements = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
      int width = input.getDatatype().equals("INT64") ? 8 : 4;
      assertThat(request.getRawInputContents(i).size())
          .as(input.getName())
          .isEqualTo(elements * width);
    }
  }

  @Test
  void theReNoisingSamplerSendsEachJobsSeedAndTheStreamOfItsNextStep() {
    Pipeline p = pipeline(new Pipeline.Sampler(Pipeline.RENOISE, 0.75f));
    ModelInferRequest request = Requests.step(List.of(job(p, -1234567890123L, 0), job(p, 42, 6)));

    matchesTheContract(request, p, 2);
    ByteBuffer seeds = raw(request, ModelContract.NOISE_SEED);
    assertThat(seeds.getLong()).isEqualTo(-1234567890123L);
    assertThat(seeds.getLong()).isEqualTo(42L);
    // Stream 0 is the initial noise: the noise after step i is stream i + 1.
    ByteBuffer streams = raw(request, ModelContract.NOISE_STREAM);
    assertThat(streams.getLong()).isEqualTo(1L);
    assertThat(streams.getLong()).isEqualTo(7L);
    ByteBuffer stochasticity = raw(request, ModelContract.STOCHASTICITY);
    assertThat(stochasticity.getFloat()).isEqualTo(0.75f);
    assertThat(stochasticity.getFloat()).isEqualTo(0.75f);
    ByteBuffer next = raw(request, "next_timestep");
    assertThat(next.getFloat()).isEqualTo(0.9f);
    assertThat(next.getFloat()).isEqualTo(1f - 7f / 10f);
  }

  @Test
  void eachJobGetsItsOwnStepsTimestepsFromThePipelinesSchedule() {
    Pipeline p = pipeline(Pipeline.Sampler.EULER_STEP, new Pipeline.Schedule(Pipeline.LINEAR, 3f));
    // Ten steps: u = 1 - i / 10, t = 3u / (1 + 2u).
    ModelInferRequest request = Requests.step(List.of(job(p, 1, 0), job(p, 2, 5), job(p, 3, 9)));

    ByteBuffer t = raw(request, "timestep");
    ByteBuffer next = raw(request, "next_timestep");
    assertThat(t.getFloat()).isEqualTo(1f);
    assertThat(next.getFloat()).isEqualTo(shifted(1 - 1.0 / 10));
    assertThat(t.getFloat()).isEqualTo(0.75f);
    assertThat(next.getFloat()).isEqualTo(shifted(1 - 6.0 / 10));
    assertThat(t.getFloat()).isEqualTo(shifted(1 - 9.0 / 10));
    assertThat(next.getFloat()).isEqualTo(0f);
  }

  private static float shifted(double u) {
    return (float) (3 * u / (1 + 2 * u));
  }

  @Test
  void theEulerSamplerSendsNoNoiseInputs() {
    Pipeline p = pipeline(Pipeline.Sampler.EULER_STEP);
    ModelInferRequest request = Requests.step(List.of(job(p, 5, 2)));

    matchesTheContract(request, p, 1);
    assertThat(request.getInputsList().stream().map(InferInputTensor::getName))
        .doesNotContain(
            ModelContract.NOISE_SEED, ModelContract.NOISE_STREAM, ModelContract.STOCHASTICITY);
  }
}
