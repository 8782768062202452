/** Triton datatypes, tensor shapes and their mapping to ONNX Runtime. */
package dev.framecast.node.tensor;
