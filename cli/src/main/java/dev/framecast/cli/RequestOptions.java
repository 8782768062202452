package dev.framecast.cli;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Priority;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * What a generate or demo request asks for: the prompt and the options that become fields of {@link
 * GenerateRequest}. Values the user did not give stay unset (0, null, empty) so that the server
 * fills in the pipeline's defaults and reports them.
 *
 * @param prompt what the clip shows
 * @param negative the negative prompt (empty: none)
 * @param steps denoising steps, 0 for the pipeline's default
 * @param seed the initial noise's seed, null for one the server draws
 * @param guidance classifier-free guidance scale, null for the pipeline's default
 * @param previewEvery decode a preview every this many steps, 0 for none
 * @param priority interactive or batch
 * @param idempotencyKey the caller's key, null to let {@link #toRequest} make one
 * @param includeFrames stream every frame as PNG (the contact sheet is made from them)
 */
public record RequestOptions(
    String prompt,
    String negative,
    int steps,
    Long seed,
    Float guidance,
    int previewEvery,
    Priority priority,
    String idempotencyKey,
    boolean includeFrames) {

  /** The options taking a value that {@link Builder#accept} understands. */
  static final Set<String> VALUED =
      Set.of(
          "--steps",
          "--seed",
          "--guidance",
          "--negative",
          "--preview-every",
          "--priority",
          "--idempotency-key");

  private static final Map<String, Priority> PRIORITIES =
      Map.of("interactive", Priority.PRIORITY_INTERACTIVE, "batch", Priority.PRIORITY_BATCH);

  /**
   * The request. Always carries an idempotency key (the user's, else a fresh random one): that is
   * what makes it safe to resend Generate after the connection drops before the first event, when
   * the client cannot know whether the job was created.
   */
  public GenerateRequest toRequest() {
    GenerateRequest.Builder request =
        GenerateRequest.newBuilder()
            .setPrompt(prompt)
            .setNegativePrompt(negative)
            .setSteps(steps)
            .setPreviewEvery(previewEvery)
            .setPriority(priority)
            .setIncludeFrames(includeFrames)
            .setIdempotencyKey(
                idempotencyKey != null ? idempotencyKey : "cli-" + UUID.randomUUID());
    if (seed != null) {
      request.setSeed(seed);
    }
    if (guidance != null) {
      request.setGuidanceScale(guidance);
    }
    return request.build();
  }

  /** Collects the request options of a command line; the command parses the rest. */
  static final class Builder {
    private String prompt;
    private String negative = "";
    private int steps;
    private Long seed;
    private Float guidance;
    private int previewEvery;
    private Priority priority = Priority.PRIORITY_INTERACTIVE;
    private String idempotencyKey;
    private boolean includeFrames = true;

    /** Takes {@code option} (one of {@link #VALUED}) and its value. */
    void accept(String option, String value) {
      switch (option) {
        case "--steps" -> steps = Values.positive(option, value);
        case "--seed" -> seed = Values.seed(option, value);
        case "--guidance" -> guidance = Values.number(option, value);
        case "--negative" -> negative = value;
        case "--preview-every" -> previewEvery = Values.positive(option, value);
        case "--priority" -> priority = Values.choice(option, value, PRIORITIES);
        case "--idempotency-key" -> idempotencyKey = Values.nonBlank(option, value);
        default -> throw new IllegalStateException("not a request option: " + option);
      }
    }

    void noFrames() {
      includeFrames = false;
    }

    /** Takes the positional argument; there is exactly one prompt. */
    void prompt(String value) {
      if (prompt != null) {
        throw new UsageException(
            "one prompt only (quote it): got '" + prompt + "' and '" + value + "'");
      }
      prompt = value;
    }

    boolean hasPrompt() {
      return prompt != null;
    }

    /** Whether any option that shapes a new job was given (meaningless with --watch). */
    boolean shapesAJob() {
      return prompt != null
          || steps != 0
          || seed != null
          || guidance != null
          || !negative.isEmpty()
          || previewEvery != 0
          || priority != Priority.PRIORITY_INTERACTIVE
          || idempotencyKey != null;
    }

    RequestOptions build() {
      if (prompt == null || prompt.isBlank()) {
        throw new UsageException("a prompt is required, e.g. \"a red circle moving right\"");
      }
      if (previewEvery > 0 && steps > 0 && previewEvery > steps) {
        throw new UsageException(
            "--preview-every " + previewEvery + " is more than --steps " + steps);
      }
      return new RequestOptions(
          prompt,
          negative,
          steps,
          seed,
          guidance,
          previewEvery,
          priority,
          idempotencyKey,
          includeFrames);
    }
  }
}
