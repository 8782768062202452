/**
 * The Triton model repository: discovery, config.pbtxt parsing, version policy, ONNX Runtime
 * sessions per instance, and each model version's readiness.
 */
package dev.framecast.node.repository;
