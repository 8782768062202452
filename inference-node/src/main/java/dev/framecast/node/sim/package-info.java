/**
 * Simulated mode for load tests: a step-latency profile ({@link
 * dev.framecast.node.sim.SimulatedProfile}) and the one simulated GPU a node's models share ({@link
 * dev.framecast.node.sim.SimulatedGpu}). The batch runner that uses them is {@link
 * dev.framecast.node.batch.SimulatedBatchRunner}. Nothing here runs a model.
 */
package dev.framecast.node.sim;
