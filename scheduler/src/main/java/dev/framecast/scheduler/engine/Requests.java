package dev.framecast.scheduler.engine;

import com.google.protobuf.ByteString;
import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.pipeline.ModelContract;
import dev.framecast.scheduler.pipeline.Pipeline;
import dev.framecast.scheduler.pipeline.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/** The Triton requests the planner sends, tensors assembled as the model contract says. */
final class Requests {
  private Requests() {}

  /** Text encoding of distinct prompts with the pipeline's text encoder. */
  static ModelInferRequest encode(Pipeline pipeline, List<String> prompts) {
    List<ByteString> ids = new ArrayList<>();
    for (String prompt : prompts) {
      ids.add(ByteString.copyFrom(Tokenizer.utf8Bytes(prompt, pipeline.maxTextLength())));
    }
    return ModelInferRequest.newBuilder()
        .setModelName(pipeline.spec().textEncoder())
        .addInputs(
            Tensors.input(
                ModelContract.INPUT_IDS, "INT64", prompts.size(), pipeline.maxTextLength()))
        .addRawInputContents(Tensors.concat(ids))
        .addOutputs(Tensors.output(ModelContract.TEXT_EMBEDDINGS))
        .addOutputs(Tensors.output(ModelContract.ATTENTION_MASK))
        .build();
  }

  /**
   * Whether the job's prediction after {@code step} steps is previewed: every preview_every steps,
   * but not after the last (the clip itself follows).
   */
  static boolean previewAfter(Job job, int step) {
    int every = job.spec().previewEvery();
    return every > 0 && step % every == 0 && step < job.totalSteps();
  }

  /**
   * One DiT step of each job (one pipeline's), asking for the prediction only when previewed. With
   * the re-noising sampler each job also sends its seed and the noise stream of this step (step +
   * 1; stream 0 is the job's initial noise): the graph draws the noise, so a clip is the same on
   * every node, in every batch and after a restart from a checkpoint.
   */
  static ModelInferRequest step(List<Job> jobs) {
    Pipeline p = jobs.get(0).pipeline();
    int n = jobs.size();
    float[] t = new float[n];
    float[] next = new float[n];
    float[] guidance = new float[n];
    List<ByteString> latents = new ArrayList<>();
    List<ByteString> text = new ArrayList<>();
    List<ByteString> mask = new ArrayList<>();
    List<ByteString> negative = new ArrayList<>();
    List<ByteString> negativeMask = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Job job = jobs.get(i);
      // From pure noise (t = 1) to data (t = 0), as the pipeline's schedule spaces the steps.
      t[i] = p.schedule().timestep(job.step(), job.totalSteps());
      next[i] = p.schedule().timestep(job.step() + 1, job.totalSteps());
      guidance[i] = job.guidance();
      latents.add(job.latents());
      text.add(job.text().embeddings());
      mask.add(job.text().mask());
      negative.add(job.negativeText().embeddings());
      negativeMask.add(job.negativeText().mask());
    }
    int l = p.maxTextLength();
    int d = p.embeddingDim();
    ModelInferRequest.Builder request = ModelInferRequest.newBuilder();
    request.addOutputs(Tensors.output(ModelContract.NEXT_LATENTS));
    // The prediction is only read for previews: most steps do not carry it back.
    if (jobs.stream().anyMatch(job -> previewAfter(job, job.step() + 1))) {
      request.addOutputs(Tensors.output(ModelContract.DENOISED));
    }
    request
        .setModelName(p.spec().dit())
        .addInputs(latentsInput(p, n, p.latentFrames()))
        .addInputs(Tensors.input("timestep", "FP32", n, 1))
        .addInputs(Tensors.input("next_timestep", "FP32", n, 1))
        .addInputs(Tensors.input("text_embeddings", "FP32", n, l, d))
        .addInputs(Tensors.input("attention_mask", "FP32", n, l))
        .addInputs(Tensors.input("negative_text_embeddings", "FP32", n, l, d))
        .addInputs(Tensors.input("negative_attention_mask", "FP32", n, l))
        .addInputs(Tensors.input("guidance_scale", "FP32", n, 1))
        .addRawInputContents(Tensors.concat(latents))
        .addRawInputContents(Tensors.floats(t))
        .addRawInputContents(Tensors.floats(next))
        .addRawInputContents(Tensors.concat(text))
        .addRawInputContents(Tensors.concat(mask))
        .addRawInputContents(Tensors.concat(negative))
        .addRawInputContents(Tensors.concat(negativeMask))
        .addRawInputContents(Tensors.floats(guidance));
    if (p.sampler().takesNoise()) {
      long[] seeds = new long[n];
      long[] streams = new long[n];
      float[] stochasticity = new float[n];
      for (int i = 0; i < n; i++) {
        seeds[i] = jobs.get(i).seed();
        streams[i] = jobs.get(i).step() + 1L;
        stochasticity[i] = p.sampler().stochasticity();
      }
      request
          .addInputs(Tensors.input(ModelContract.NOISE_SEED, "INT64", n, 1))
          .addInputs(Tensors.input(ModelContract.NOISE_STREAM, "INT64", n, 1))
          .addInputs(Tensors.input(ModelContract.STOCHASTICITY, "FP32", n, 1))
          .addRawInputContents(Tensors.longs(seeds))
          .addRawInputContents(Tensors.longs(streams))
          .addRawInputContents(Tensors.floats(stochasticity));
    }
    return request.build();
  }

  /** VAE decoding of finished jobs' final latents (one pipeline's). */
  static ModelInferRequest decode(List<Job> jobs) {
    Pipeline p = jobs.get(0).pipeline();
    List<ByteString> latents = new ArrayList<>();
    jobs.forEach(j -> latents.add(j.latents()));
    return ModelInferRequest.newBuilder()
        .setModelName(p.spec().vae())
        .addInputs(latentsInput(p, jobs.size(), p.latentFrames()))
        .addRawInputContents(Tensors.concat(latents))
        .addOutputs(Tensors.output(ModelContract.FRAMES))
        .build();
  }

  /** VAE decoding of the first {@code frames} latent frames of one job's prediction. */
  static ModelInferRequest preview(Pipeline p, ByteString denoised, int frames) {
    int plane = p.latentHeight() * p.latentWidth() * Float.BYTES;
    int perChannel = p.latentFrames() * plane;
    List<ByteString> parts = new ArrayList<>();
    for (int c = 0; c < p.latentChannels(); c++) {
      parts.add(denoised.substring(c * perChannel, c * perChannel + frames * plane));
    }
    return ModelInferRequest.newBuilder()
        .setModelName(p.spec().vae())
        .addInputs(latentsInput(p, 1, frames))
        .addRawInputContents(Tensors.concat(parts))
        .addOutputs(Tensors.output(ModelContract.FRAMES))
        .build();
  }

  private static ModelInferRequest.InferInputTensor latentsInput(Pipeline p, int rows, int frames) {
    return Tensors.input(
        "latents", "FP32", rows, p.latentChannels(), frames, p.latentHeight(), p.latentWidth());
  }
}
