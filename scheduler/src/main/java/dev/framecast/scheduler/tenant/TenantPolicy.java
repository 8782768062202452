package dev.framecast.scheduler.tenant;

import dev.framecast.api.v1.Priority;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One tenant's share of the fleet and its limits, validated on construction so that a policy that
 * exists is a policy the scheduler can enforce.
 *
 * <p>Validation messages use the YAML field names ({@code max_queued_jobs}) because operators read
 * them when a tenants file is rejected.
 *
 * @param name the tenant, as it appears in the token's {@code tenant} claim
 * @param weight share of the fleet relative to other tenants' weights (&gt; 0)
 * @param maxConcurrentJobs jobs running at once; more wait queued (enforced by the scheduler)
 * @param maxQueuedJobs jobs waiting at once; beyond it submissions are refused
 * @param requestsPerMinute sustained submission rate (token bucket refill)
 * @param burst token bucket capacity: submissions allowed back to back
 * @param gpuSecondsPerDay GPU-seconds per UTC day; 0 = unlimited
 * @param maxSteps denoising steps per job; 0 = the pipeline's own limit
 * @param allowedPipelines pipelines the tenant may use; empty = all
 * @param maxOpenStreams event streams (WatchJob, Generate, SSE) open at once
 * @param readsPerMinute sustained rate of reads (GetJob, ListJobs, opening a WatchJob stream,
 *     GetClip): a token bucket of its own, apart from submissions
 * @param readBurst the reads' bucket capacity
 * @param priorities the priority classes the tenant may submit in (interactive, batch)
 * @param defaultPriority the class of a request that names none; one of {@code priorities}
 */
public record TenantPolicy(
    String name,
    double weight,
    int maxConcurrentJobs,
    int maxQueuedJobs,
    int requestsPerMinute,
    int burst,
    double gpuSecondsPerDay,
    int maxSteps,
    List<String> allowedPipelines,
    int maxOpenStreams,
    int readsPerMinute,
    int readBurst,
    Set<Priority> priorities,
    Priority defaultPriority,
    String webhookUrl,
    String webhookSecret) {

  /** The classes a tenant may use unless configured: both. */
  public static final Set<Priority> ALL_PRIORITIES =
      Collections.unmodifiableSet(
          EnumSet.of(Priority.PRIORITY_INTERACTIVE, Priority.PRIORITY_BATCH));

  /** The YAML name of a priority class: interactive, batch. */
  public static String yamlName(Priority priority) {
    return switch (priority) {
      case PRIORITY_INTERACTIVE -> "interactive";
      case PRIORITY_BATCH -> "batch";
      default -> throw new IllegalArgumentException("not a priority class: " + priority);
    };
  }

  /** Event streams (WatchJob, Generate, SSE) a tenant may hold open at once, unless configured. */
  public static final int DEFAULT_MAX_OPEN_STREAMS = 256;

  /**
   * Reads per minute unless configured: 100 a second, far above any polling client (a CLI polls
   * once a second), far below what would load the scheduler.
   */
  public static final int DEFAULT_READS_PER_MINUTE = 6000;

  /** Reads back to back unless configured. */
  public static final int DEFAULT_READ_BURST = 600;

  /**
   * A policy with the defaults for what the tenants file may leave out: open streams, reads, both
   * priority classes, interactive by default.
   */
  public TenantPolicy(
      String name,
      double weight,
      int maxConcurrentJobs,
      int maxQueuedJobs,
      int requestsPerMinute,
      int burst,
      double gpuSecondsPerDay,
      int maxSteps,
      List<String> allowedPipelines) {
    this(
        name,
        weight,
        maxConcurrentJobs,
        maxQueuedJobs,
        requestsPerMinute,
        burst,
        gpuSecondsPerDay,
        maxSteps,
        allowedPipelines,
        DEFAULT_MAX_OPEN_STREAMS,
        DEFAULT_READS_PER_MINUTE,
        DEFAULT_READ_BURST,
        ALL_PRIORITIES,
        Priority.PRIORITY_INTERACTIVE,
        "",
        "");
  }

  /**
   * Tenant names end up in metric labels, log lines and quota subjects ("tenant:acme"), so they are
   * kept to a conservative, bounded alphabet.
   */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

  /**
   * Upper bounds keep every quota finite (house rule 5) and keep the rate limiter's integer
   * arithmetic far from overflow.
   */
  static final int MAX_COUNT = 1_000_000;

  public TenantPolicy {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("tenant name must not be empty");
    }
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "tenant name '"
              + name
              + "' must be 1-63 characters of letters, digits, '.', '_' or '-',"
              + " starting with a letter or digit");
    }
    if (!(weight > 0) || Double.isInfinite(weight)) {
      throw new IllegalArgumentException(
          prefix(name) + "weight must be a finite number > 0, got " + weight);
    }
    requireRange(name, "max_concurrent_jobs", maxConcurrentJobs, 1);
    requireRange(name, "max_queued_jobs", maxQueuedJobs, 1);
    requireRange(name, "requests_per_minute", requestsPerMinute, 1);
    requireRange(name, "burst", burst, 1);
    if (!(gpuSecondsPerDay >= 0) || Double.isInfinite(gpuSecondsPerDay)) {
      throw new IllegalArgumentException(
          prefix(name)
              + "gpu_seconds_per_day must be a finite number >= 0 (0 = unlimited), got "
              + gpuSecondsPerDay);
    }
    requireRange(name, "max_steps", maxSteps, 0);
    requireRange(name, "max_open_streams", maxOpenStreams, 1);
    requireRange(name, "reads_per_minute", readsPerMinute, 1);
    requireRange(name, "read_burst", readBurst, 1);
    if (priorities == null || priorities.isEmpty()) {
      throw new IllegalArgumentException(
          prefix(name) + "priorities must name at least one of interactive, batch");
    }
    for (Priority priority : priorities) {
      if (!ALL_PRIORITIES.contains(priority)) {
        throw new IllegalArgumentException(
            prefix(name) + "priorities may hold only interactive and batch, got " + priority);
      }
    }
    priorities = Collections.unmodifiableSet(EnumSet.copyOf(priorities));
    if (!priorities.contains(defaultPriority)) {
      throw new IllegalArgumentException(
          prefix(name)
              + "default_priority must be one of its priorities "
              + priorities.stream().map(TenantPolicy::yamlName).toList()
              + ", got "
              + (defaultPriority == null ? "nothing" : yamlName(defaultPriority)));
    }
    if (allowedPipelines == null) {
      throw new IllegalArgumentException(prefix(name) + "allowed_pipelines must not be null");
    }
    for (String pipeline : allowedPipelines) {
      if (pipeline == null || pipeline.isBlank()) {
        throw new IllegalArgumentException(
            prefix(name) + "allowed_pipelines must not contain empty names");
      }
    }
    allowedPipelines = List.copyOf(allowedPipelines);
    webhookUrl = webhookUrl == null ? "" : webhookUrl;
    webhookSecret = webhookSecret == null ? "" : webhookSecret;
    if (!webhookUrl.isEmpty()) {
      String problem = dev.framecast.scheduler.webhook.WebhookAddresses.syntaxProblem(webhookUrl);
      if (problem != null) {
        throw new IllegalArgumentException(prefix(name) + "webhook_url " + problem);
      }
      if (webhookSecret.isEmpty()) {
        throw new IllegalArgumentException(
            prefix(name) + "webhook_url needs a webhook_secret to sign its deliveries");
      }
    }
    if (!webhookSecret.isEmpty()) {
      String problem = dev.framecast.scheduler.webhook.Signer.secretProblem(webhookSecret);
      if (problem != null) {
        throw new IllegalArgumentException(prefix(name) + "webhook_secret " + problem);
      }
    }
  }

  /** True when the tenant's jobs may have webhooks (its secret signs them). */
  public boolean hasWebhookSecret() {
    return !webhookSecret.isEmpty();
  }

  /** Every field but the webhook secret, which is never printed. */
  @Override
  public String toString() {
    return "TenantPolicy[name="
        + name
        + ", weight="
        + weight
        + ", maxConcurrentJobs="
        + maxConcurrentJobs
        + ", maxQueuedJobs="
        + maxQueuedJobs
        + ", requestsPerMinute="
        + requestsPerMinute
        + ", burst="
        + burst
        + ", gpuSecondsPerDay="
        + gpuSecondsPerDay
        + ", maxSteps="
        + maxSteps
        + ", allowedPipelines="
        + allowedPipelines
        + ", maxOpenStreams="
        + maxOpenStreams
        + ", readsPerMinute="
        + readsPerMinute
        + ", readBurst="
        + readBurst
        + ", priorities="
        + priorities
        + ", defaultPriority="
        + defaultPriority
        + ", webhookUrl="
        + webhookUrl
        + ", webhookSecret="
        + (webhookSecret.isEmpty() ? "none" : "(set)")
        + "]";
  }

  /** True when the tenant may run {@code pipeline} (an empty allow-list allows every one). */
  public boolean allowsPipeline(String pipeline) {
    return allowedPipelines.isEmpty() || allowedPipelines.contains(pipeline);
  }

  /** True when a daily GPU-seconds quota applies. */
  public boolean hasDailyGpuLimit() {
    return gpuSecondsPerDay > 0;
  }

  /** True when the tenant has its own step limit below the pipeline's. */
  public boolean hasMaxSteps() {
    return maxSteps > 0;
  }

  /** "weight 2.0 -> 3.0, burst 20 -> 40": what a reload changed, for the log. */
  String changesTo(TenantPolicy next) {
    StringBuilder changes = new StringBuilder();
    change(changes, "weight", weight, next.weight);
    change(changes, "max_concurrent_jobs", maxConcurrentJobs, next.maxConcurrentJobs);
    change(changes, "max_queued_jobs", maxQueuedJobs, next.maxQueuedJobs);
    change(changes, "requests_per_minute", requestsPerMinute, next.requestsPerMinute);
    change(changes, "burst", burst, next.burst);
    change(changes, "gpu_seconds_per_day", gpuSecondsPerDay, next.gpuSecondsPerDay);
    change(changes, "max_steps", maxSteps, next.maxSteps);
    change(changes, "allowed_pipelines", allowedPipelines, next.allowedPipelines);
    change(changes, "max_open_streams", maxOpenStreams, next.maxOpenStreams);
    change(changes, "reads_per_minute", readsPerMinute, next.readsPerMinute);
    change(changes, "read_burst", readBurst, next.readBurst);
    change(
        changes,
        "priorities",
        priorities.stream().map(TenantPolicy::yamlName).toList(),
        next.priorities.stream().map(TenantPolicy::yamlName).toList());
    change(changes, "default_priority", yamlName(defaultPriority), yamlName(next.defaultPriority));
    change(changes, "webhook_url", webhookUrl, next.webhookUrl);
    if (!webhookSecret.equals(next.webhookSecret)) {
      changes.append(changes.length() == 0 ? "" : ", ").append("webhook_secret changed");
    }
    return changes.toString();
  }

  private static void change(StringBuilder changes, String field, Object from, Object to) {
    if (!from.equals(to)) {
      changes.append(changes.length() == 0 ? "" : ", ").append(field).append(' ');
      changes.append(from).append(" -> ").append(to);
    }
  }

  private static void requireRange(String tenant, String field, int value, int min) {
    if (value < min || value > MAX_COUNT) {
      throw new IllegalArgumentException(
          prefix(tenant)
              + field
              + " must be between "
              + min
              + " and "
              + MAX_COUNT
              + ", got "
              + value);
    }
  }

  private static String prefix(String tenant) {
    return "tenant '" + tenant + "': ";
  }
}
