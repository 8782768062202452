/**
 * Scheduling inside the node, as Triton's dynamic batcher does: a bounded queue per model version,
 * a pure batching decision ({@link dev.framecast.node.batch.BatchPolicy}), a batcher thread that
 * acts on it, and one ONNX Runtime session per model instance ({@link
 * dev.framecast.node.batch.OnnxBatchRunner}), or, on a simulated node for load tests, {@link
 * dev.framecast.node.batch.SimulatedBatchRunner}.
 */
package dev.framecast.node.batch;
