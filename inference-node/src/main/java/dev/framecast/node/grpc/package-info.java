/** The {@code inference.GRPCInferenceService} implementation over the model repository. */
package dev.framecast.node.grpc;
