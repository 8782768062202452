/**
 * Tenant policies: who may use the platform, with which weight, quotas and pipelines.
 *
 * <p>Policies come from a YAML file ({@link dev.framecast.scheduler.tenant.TenantConfig}) held by a
 * {@link dev.framecast.scheduler.tenant.TenantRegistry} that swaps an immutable snapshot on reload,
 * so readers on gRPC threads and the scheduler loop never lock and never see a half-applied file.
 * Enforcement lives elsewhere: admission checks quotas before a job is queued, the scheduler's fair
 * queue uses the weights and the concurrency limit.
 */
package dev.framecast.scheduler.tenant;
