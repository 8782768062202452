/**
 * The scheduler: admission, weighted fair queueing, step-level continuous batching of DiT steps
 * onto Triton-protocol nodes, preemption, failover, and each job's event stream.
 */
package dev.framecast.scheduler;
