/**
 * Scheduling inside the node, as Triton's dynamic batcher does: a bounded queue per model version,
 * a pure batching decision ({@link dev.framecast.node.batch.BatchPolicy}), a batcher thread that
 * acts on it, and one ONNX Runtime session per model instance.
 */
package dev.framecast.node.batch;
