package dev.framecast.node.infer;

import com.google.protobuf.ByteString;
import dev.framecast.node.tensor.TritonType;

/** One output of one request, ready for {@code raw_output_contents}. */
public record OutputTensor(String name, TritonType type, long[] shape, ByteString data) {}
