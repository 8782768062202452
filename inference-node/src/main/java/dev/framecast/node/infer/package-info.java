/** Decoding, validating and answering inference requests; errors with Triton's status codes. */
package dev.framecast.node.infer;
