/**
 * Admission: the checks a submission passes before anything is queued, and how a refusal reaches
 * the client.
 *
 * <p>{@link dev.framecast.scheduler.admission.Admission} checks, in order: the tenant is
 * configured, the pipeline is allowed, the step count is within the tenant's limit, the tenant's
 * queue has room, the tenant's request rate ({@link dev.framecast.scheduler.admission.RateLimiter})
 * and its daily GPU-seconds ({@link dev.framecast.scheduler.admission.UsageLedger}). A refusal is a
 * typed {@link dev.framecast.common.errors.AdmissionException}; {@link
 * dev.framecast.common.errors.GrpcStatusMapper} is the one place that turns it into a gRPC status
 * with {@code google.rpc} details (house rule 6).
 *
 * <p>{@code max_concurrent_jobs} is deliberately not checked here: a job beyond it is admitted and
 * waits queued until the scheduler, which owns the running set, starts it.
 */
package dev.framecast.scheduler.admission;
