package dev.framecast.scheduler.job;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import dev.framecast.api.v1.ClipInfo;
import dev.framecast.api.v1.Priority;
import dev.framecast.common.events.EventLog;
import dev.framecast.scheduler.pipeline.Pipeline;
import java.time.Instant;
import java.util.logging.Logger;

/**
 * One generation job. Identity and the admitted request are immutable; everything else is owned by
 * the scheduler's loop thread and changed only there (fields other threads read are volatile).
 */
public final class Job {
  private static final Logger LOG = Logger.getLogger(Job.class.getName());

  private final String id;
  private final String tenant;
  private final JobSpec spec;

  private final Pipeline pipeline;
  private final Instant created;
  private final EventLog events;

  private volatile JobPhase phase = JobPhase.QUEUED;
  private volatile int step;
  private volatile double gpuSeconds;
  private volatile Instant started;
  private volatile Instant finished;
  private volatile com.google.rpc.Status error;
  private volatile ClipInfo clip;
  private volatile int queuePosition;

  // Loop-thread state.
  private ByteString latents;
  private LatentCheckpoint resumeFrom;
  private boolean checkpointed;
  private TextEmbedding text;
  private TextEmbedding negativeText;
  private boolean cancelRequested;
  private String cancelReason = "";
  private Instant deadline;
  private int failedAttempts;
  private String avoidNode = "";
  private final Timings timings = new Timings();

  public Job(
      String id,
      String tenant,
      JobSpec spec,
      Pipeline pipeline,
      Instant created,
      long maxEventBytes) {
    this(id, tenant, spec, pipeline, created, new EventLog(id, maxEventBytes));
  }

  /**
   * A job whose events go to {@code events}: a gated log when a job store must commit them before
   * readers see them, or one continuing a stored history when a job is resumed after a restart.
   */
  public Job(
      String id, String tenant, JobSpec spec, Pipeline pipeline, Instant created, EventLog events) {
    if (pipeline != null && !pipeline.name().equals(spec.pipeline())) {
      throw new IllegalArgumentException(
          "job "
              + id
              + " runs pipeline '"
              + spec.pipeline()
              + "', given '"
              + pipeline.name()
              + "'");
    }
    this.id = id;
    this.tenant = tenant;
    this.spec = spec;
    this.pipeline = pipeline;
    this.created = created;
    this.events = events;
  }

  /** Text embeddings and mask of one prompt, as the text encoder returned them. */
  public record TextEmbedding(ByteString embeddings, ByteString mask) {}

  /** Wall-clock marks of each stage, for the completed event's timings (loop thread). */
  public static final class Timings {
    private Instant encodingStarted;
    private Instant denoisingStarted;
    private Instant decodingStarted;
    private Instant videoStarted;

    /**
     * Notes when the job first entered a timed phase (ENCODING_TEXT, DENOISING, DECODING,
     * ENCODING_VIDEO); entering it again (a retry, a preemption) keeps the first mark.
     */
    public void entered(JobPhase phase, Instant at) {
      switch (phase) {
        case ENCODING_TEXT -> encodingStarted = first(encodingStarted, at);
        case DENOISING -> denoisingStarted = first(denoisingStarted, at);
        case DECODING -> decodingStarted = first(decodingStarted, at);
        case ENCODING_VIDEO -> videoStarted = first(videoStarted, at);
        default -> throw new IllegalArgumentException(phase + " is not a timed phase");
      }
    }

    private static Instant first(Instant mark, Instant at) {
      return mark != null ? mark : at;
    }

    public Instant encodingStarted() {
      return encodingStarted;
    }

    public Instant denoisingStarted() {
      return denoisingStarted;
    }

    public Instant decodingStarted() {
      return decodingStarted;
    }

    public Instant videoStarted() {
      return videoStarted;
    }
  }

  /** Moves to {@code to}, checking that the transition is allowed; logs "from -> to". */
  public void transition(JobPhase to) {
    JobPhase from = phase;
    if (!from.next().contains(to)) {
      throw new IllegalStateException("job " + id + ": illegal transition " + from + " -> " + to);
    }
    phase = to;
    LOG.fine(() -> "job " + id + ": " + from + " -> " + to);
  }

  public String id() {
    return id;
  }

  public String tenant() {
    return tenant;
  }

  /** What the job runs, settled at admission. */
  public JobSpec spec() {
    return spec;
  }

  public Pipeline pipeline() {
    return pipeline;
  }

  public Priority priority() {
    return spec.priority();
  }

  public boolean interactive() {
    return spec.interactive();
  }

  public long seed() {
    return spec.seed();
  }

  public int totalSteps() {
    return spec.steps();
  }

  public float guidance() {
    return spec.guidance();
  }

  public Instant created() {
    return created;
  }

  public EventLog events() {
    return events;
  }

  public JobPhase phase() {
    return phase;
  }

  public int step() {
    return step;
  }

  public void advance(ByteString nextLatents) {
    this.latents = nextLatents;
    this.step++;
  }

  /**
   * Resumes the job at its checkpoint's step (loop thread, when it first joins a node after a
   * restart): its latents instead of the seed's noise.
   */
  public void restore(LatentCheckpoint checkpoint) {
    this.latents = ByteString.copyFrom(checkpoint.latents());
    this.step = checkpoint.step();
    this.checkpointed = true;
  }

  /** Resume at {@code checkpoint} instead of the first step (before the loop sees the job). */
  public void setResumeFrom(LatentCheckpoint checkpoint) {
    this.resumeFrom = checkpoint;
  }

  /** Takes the checkpoint to resume at, once (loop thread). */
  public LatentCheckpoint takeResumeFrom() {
    LatentCheckpoint checkpoint = resumeFrom;
    resumeFrom = null;
    return checkpoint;
  }

  /** Whether a checkpoint of this job may exist (one was taken or resumed from). */
  public boolean checkpointed() {
    return checkpointed;
  }

  public void markCheckpointed() {
    this.checkpointed = true;
  }

  /**
   * Drops the job's tensors once it has ended (loop thread): an ended job is kept for GetJob and
   * replay until the retention bound forgets it, and its latents and text embeddings (slices that
   * pin whole batch responses) would otherwise stay with it.
   */
  public void releaseTensors() {
    latents = null;
    text = null;
    negativeText = null;
  }

  public ByteString latents() {
    return latents;
  }

  public void setLatents(ByteString latents) {
    this.latents = latents;
  }

  public TextEmbedding text() {
    return text;
  }

  public TextEmbedding negativeText() {
    return negativeText;
  }

  public void setText(TextEmbedding text, TextEmbedding negativeText) {
    this.text = text;
    this.negativeText = negativeText;
  }

  public boolean encoded() {
    return text != null && negativeText != null;
  }

  public double gpuSeconds() {
    return gpuSeconds;
  }

  public void addGpuSeconds(double seconds) {
    this.gpuSeconds += seconds;
  }

  public Instant started() {
    return started;
  }

  public void markStarted(Instant when) {
    if (started == null) {
      started = when;
    }
  }

  public Instant finished() {
    return finished;
  }

  public void markFinished(Instant when) {
    this.finished = when;
  }

  public com.google.rpc.Status error() {
    return error;
  }

  public void setError(com.google.rpc.Status error) {
    this.error = error;
  }

  public ClipInfo clip() {
    return clip;
  }

  public void setClip(ClipInfo clip) {
    this.clip = clip;
  }

  public boolean cancelRequested() {
    return cancelRequested;
  }

  public String cancelReason() {
    return cancelReason;
  }

  public void requestCancel(String reason) {
    this.cancelRequested = true;
    this.cancelReason = reason;
  }

  public Instant deadline() {
    return deadline;
  }

  public void setDeadline(Instant deadline) {
    this.deadline = deadline;
  }

  public int failedAttempts() {
    return failedAttempts;
  }

  public void countFailedAttempt() {
    failedAttempts++;
  }

  public void resetFailedAttempts() {
    failedAttempts = 0;
    avoidNode = "";
  }

  /** The node whose request for this job last failed: a retry prefers any other. */
  public String avoidNode() {
    return avoidNode;
  }

  public void setAvoidNode(String node) {
    this.avoidNode = node;
  }

  public Timings timings() {
    return timings;
  }

  public int queuePosition() {
    return queuePosition;
  }

  public void setQueuePosition(int position) {
    this.queuePosition = position;
  }

  /** The public view of this job. */
  public dev.framecast.api.v1.Job toProto() {
    return record(phase, events.lastSeq()).toProto(queuePosition);
  }

  /**
   * The job as a value, with the phase and last seq given (the store's writer records the phase
   * whose events it has committed).
   */
  public JobRecord record(JobPhase phase, long lastSeq) {
    return new JobRecord(
        id,
        tenant,
        spec,
        phase,
        created,
        started,
        finished,
        step,
        gpuSeconds,
        lastSeq,
        error,
        clip);
  }

  public static Timestamp timestamp(Instant instant) {
    return JobRecord.timestamp(instant);
  }
}
