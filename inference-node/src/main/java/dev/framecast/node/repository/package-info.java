/**
 * The Triton model repository: discovery, config.pbtxt parsing, version policy, ONNX Runtime
 * sessions per instance (or, for load tests, simulated models), and each model version's readiness.
 */
package dev.framecast.node.repository;
