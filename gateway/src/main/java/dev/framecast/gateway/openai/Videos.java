package dev.framecast.gateway.openai;

import com.google.protobuf.Timestamp;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobState;
import dev.framecast.api.v1.ModelInfo;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.math.BigDecimal;
import java.util.Locale;

/** Jobs as OpenAI video objects, and the shape facts of a model (its size and seconds). */
final class Videos {
  private Videos() {}

  /** {@code WIDTHxHEIGHT}, as OpenAI writes a size. */
  static String size(ModelInfo model) {
    return model.getWidth() + "x" + model.getHeight();
  }

  /** The clip's length in seconds (frames / fps), as a decimal without trailing zeros. */
  static String seconds(ModelInfo model) {
    return seconds(model.getFrameCount(), model.getFps());
  }

  static String seconds(int frames, float fps) {
    if (fps <= 0) {
      return "0";
    }
    BigDecimal value =
        new BigDecimal(frames)
            .divide(new BigDecimal(Float.toString(fps)), 3, java.math.RoundingMode.HALF_UP)
            .stripTrailingZeros();
    return value.scale() < 0 ? value.setScale(0).toPlainString() : value.toPlainString();
  }

  /**
   * OpenAI's four statuses: a cancelled job is {@code failed} with error code {@code cancelled}.
   */
  static String status(JobState state) {
    return switch (state) {
      case QUEUED -> "queued";
      case RUNNING -> "in_progress";
      case SUCCEEDED -> "completed";
      default -> "failed";
    };
  }

  /** Whole percent: the denoising steps done; 100 only once the clip is ready. */
  static int progress(Job job) {
    if (job.getState() == JobState.SUCCEEDED) {
      return 100;
    }
    if (job.getTotalSteps() == 0) {
      return 0;
    }
    return (int) Math.min(99, (long) job.getStep() * 100 / job.getTotalSteps());
  }

  /**
   * The video object: OpenAI's fields, then this platform's under their own names (seed, steps,
   * negative_prompt, guidance_scale, priority). {@code model} may be null when the job's pipeline
   * is no longer listed; size and seconds then come from the clip, if any.
   */
  static JsonObject of(Job job, ModelInfo model) {
    JsonObjectBuilder video =
        Json.createObjectBuilder()
            .add("id", job.getId())
            .add("object", "video")
            .add("created_at", job.getCreatedTime().getSeconds());
    nullableTime(video, "completed_at", job.hasFinishedTime() ? job.getFinishedTime() : null);
    nullableTime(video, "expires_at", job.hasExpireTime() ? job.getExpireTime() : null);
    video.add("model", job.getRequest().getModel());
    video.add("status", status(job.getState()));
    video.add("progress", progress(job));
    video.add("prompt", job.getRequest().getPrompt());
    if (job.hasClip()) {
      video.add("size", job.getClip().getWidth() + "x" + job.getClip().getHeight());
      video.add("seconds", seconds(job.getClip().getFrameCount(), job.getClip().getFps()));
    } else if (model != null) {
      video.add("size", size(model));
      video.add("seconds", seconds(model));
    } else {
      video.addNull("size");
      video.addNull("seconds");
    }
    video.addNull("remixed_from_video_id");
    if (job.getState() == JobState.FAILED || job.getState() == JobState.CANCELLED) {
      String code =
          job.getState() == JobState.CANCELLED
              ? "cancelled"
              : io.grpc.Status.fromCodeValue(job.getError().getCode())
                  .getCode()
                  .name()
                  .toLowerCase(Locale.ROOT);
      String message = job.getError().getMessage();
      video.add(
          "error",
          Json.createObjectBuilder()
              .add("code", code)
              .add("message", message.isEmpty() ? "the job was " + code : message));
    } else {
      video.addNull("error");
    }
    video.add("seed", Long.toUnsignedString(job.getSeed()));
    video.add("steps", job.getRequest().getSteps());
    video.add("negative_prompt", job.getRequest().getNegativePrompt());
    if (job.getRequest().hasGuidanceScale()) {
      video.add("guidance_scale", job.getRequest().getGuidanceScale());
    }
    video.add(
        "priority",
        job.getRequest().getPriority().name().replace("PRIORITY_", "").toLowerCase(Locale.ROOT));
    return video.build();
  }

  private static void nullableTime(JsonObjectBuilder json, String name, Timestamp time) {
    if (time == null) {
      json.addNull(name);
    } else {
      json.add(name, time.getSeconds());
    }
  }
}
