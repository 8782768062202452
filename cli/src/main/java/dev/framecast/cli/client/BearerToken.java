package dev.framecast.cli.client;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.util.concurrent.Executor;

/**
 * Sends {@code authorization: Bearer <token>} with every call. Also over plaintext: the embedded
 * gateway listens on loopback without TLS, and a token there is exactly what it needs.
 */
final class BearerToken extends CallCredentials {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final String header;

  BearerToken(String token) {
    this.header = "Bearer " + token;
  }

  @Override
  public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
    Metadata metadata = new Metadata();
    metadata.put(AUTHORIZATION, header);
    applier.apply(metadata);
  }
}
