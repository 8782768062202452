package dev.framecast.gateway;

import dev.framecast.devissuer.DevIssuer;
import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Executor;

/** Tokens from the issuer the test profile's gateway trusts (target/dev-issuer). */
final class Tokens {
  static final Path DIR = Path.of("target/dev-issuer");

  private Tokens() {}

  static DevIssuer issuer() {
    try {
      return DevIssuer.loadOrCreate(DIR);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String user(String tenant) {
    return issuer().mint(DevIssuer.Claims.user(tenant));
  }

  static CallCredentials bearer(String token) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(
          RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        applier.apply(headers);
      }
    };
  }
}
