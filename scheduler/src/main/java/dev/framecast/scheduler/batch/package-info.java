/** How many jobs a node's active set holds: step-latency profiles and the batch-size rule. */
package dev.framecast.scheduler.batch;
