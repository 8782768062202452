package dev.framecast.common.errors;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.Status;
import io.grpc.protobuf.StatusProto;
import java.util.List;

/** Reads google.rpc details back the way a client does: from the status trailer. */
public final class Details {
  private Details() {}

  public static Status rpcStatus(Throwable failure) {
    Status status = StatusProto.fromThrowable(failure);
    assertThat(status).as("google.rpc.Status in the trailers of %s", failure).isNotNull();
    return status;
  }

  /** The one detail of type {@code type}. */
  public static <T extends Message> T detail(Throwable failure, Class<T> type) {
    List<T> found =
        rpcStatus(failure).getDetailsList().stream()
            .filter(any -> any.is(type))
            .map(any -> unpack(any, type))
            .toList();
    assertThat(found).as("details of type %s", type.getSimpleName()).hasSize(1);
    return found.get(0);
  }

  private static <T extends Message> T unpack(Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
