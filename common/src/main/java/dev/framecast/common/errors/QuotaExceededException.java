package dev.framecast.common.errors;

import java.time.Duration;
import java.util.Objects;

/**
 * The tenant is over one of its limits: RESOURCE_EXHAUSTED with {@code google.rpc.RetryInfo} (when
 * trying again can succeed) and {@code google.rpc.QuotaFailure} (which limit, for whom).
 */
public final class QuotaExceededException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  /** The limits admission enforces, named as in the tenants file. */
  public enum Limit {
    MAX_QUEUED_JOBS("max_queued_jobs", "queued jobs"),
    REQUESTS_PER_MINUTE("requests_per_minute", "requests per minute"),
    GPU_SECONDS_PER_DAY("gpu_seconds_per_day", "GPU-seconds per UTC day"),
    MAX_OPEN_STREAMS("max_open_streams", "open event streams"),
    READS_PER_MINUTE("reads_per_minute", "reads per minute (GetJob, ListJobs, WatchJob, GetClip)");

    private final String key;
    private final String unit;

    Limit(String key, String unit) {
      this.key = key;
      this.unit = unit;
    }

    /** The field name in the tenants file and the quota id in QuotaFailure. */
    public String key() {
      return key;
    }

    String unit() {
      return unit;
    }
  }

  private final Limit limit;
  private final String tenant;
  private final double limitValue;
  private final Duration retryAfter;

  public QuotaExceededException(
      Limit limit, String tenant, double limitValue, Duration retryAfter) {
    super(
        "tenant "
            + quote(tenant)
            + " exceeded "
            + describe(limit, limitValue)
            + "; retry after "
            + retryAfter.toMillis()
            + " ms");
    this.limit = Objects.requireNonNull(limit, "limit");
    this.tenant = Objects.requireNonNull(tenant, "tenant");
    this.limitValue = limitValue;
    if (retryAfter.isNegative()) {
      throw new IllegalArgumentException("retryAfter must not be negative: " + retryAfter);
    }
    this.retryAfter = retryAfter;
  }

  public Limit limit() {
    return limit;
  }

  public String tenant() {
    return tenant;
  }

  public double limitValue() {
    return limitValue;
  }

  /** How long until the same request can be admitted, assuming nothing else changes. */
  public Duration retryAfter() {
    return retryAfter;
  }

  /** "max_queued_jobs: at most 64 queued jobs", the QuotaFailure description. */
  public String limitDescription() {
    return describe(limit, limitValue);
  }

  private static String describe(Limit limit, double value) {
    String number =
        value == Math.rint(value) && Math.abs(value) < 1e15
            ? Long.toString((long) value)
            : Double.toString(value);
    return limit.key() + ": at most " + number + " " + limit.unit();
  }
}
