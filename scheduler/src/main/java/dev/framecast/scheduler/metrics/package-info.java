/** The scheduler's Prometheus metrics. */
package dev.framecast.scheduler.metrics;
