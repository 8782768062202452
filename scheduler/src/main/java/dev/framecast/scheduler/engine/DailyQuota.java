package dev.framecast.scheduler.engine;

import dev.framecast.common.errors.QuotaExceededException;

/**
 * Whether a tenant has used its GPU-seconds for the day. Checked by the loop as GPU-seconds accrue
 * (once a second), not only at admission: when a tenant crosses its quota, its jobs that have not
 * started fail with the refusal this returns (RESOURCE_EXHAUSTED, QuotaFailure, RetryInfo until the
 * window resets), while its running jobs finish: their GPU time is mostly spent, and a clip the
 * tenant was charged for is worth more than the seconds a stop would save. Must not block.
 */
public interface DailyQuota {
  /** The refusal when the tenant may start no more jobs today, or null. */
  QuotaExceededException exhausted(String tenant);

  /** No daily quota. */
  DailyQuota NONE = tenant -> null;
}
