/** Per-model statistics (ModelStatistics RPC) and Prometheus metrics with Triton's names. */
package dev.framecast.node.metrics;
