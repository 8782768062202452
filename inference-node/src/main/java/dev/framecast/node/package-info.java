/**
 * A Triton-protocol inference node: serves a Triton model repository with ONNX Runtime on CPUs.
 *
 * <p>{@link dev.framecast.node.InferenceNode} is the embeddable entry point; {@link
 * dev.framecast.node.NodeMain} the command line.
 */
package dev.framecast.node;
