package dev.framecast.gateway.rest;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.BadRequest;
import com.google.rpc.DebugInfo;
import com.google.rpc.ErrorInfo;
import com.google.rpc.Help;
import com.google.rpc.LocalizedMessage;
import com.google.rpc.PreconditionFailure;
import com.google.rpc.QuotaFailure;
import com.google.rpc.RequestInfo;
import com.google.rpc.ResourceInfo;
import com.google.rpc.RetryInfo;
import dev.framecast.common.errors.InvalidRequestException;

/**
 * Protobuf's canonical JSON mapping, the REST API's only JSON: lowerCamelCase names (snake_case
 * accepted on input), enums by name, 64-bit integers as strings, bytes as base64, and every field
 * printed even at its default, so browsers need no knowledge of proto3 defaults.
 */
public final class Json {
  static final JsonFormat.TypeRegistry DETAILS =
      JsonFormat.TypeRegistry.newBuilder()
          .add(BadRequest.getDescriptor())
          .add(RetryInfo.getDescriptor())
          .add(ErrorInfo.getDescriptor())
          .add(QuotaFailure.getDescriptor())
          .add(PreconditionFailure.getDescriptor())
          .add(ResourceInfo.getDescriptor())
          .add(RequestInfo.getDescriptor())
          .add(Help.getDescriptor())
          .add(LocalizedMessage.getDescriptor())
          .add(DebugInfo.getDescriptor())
          .build();

  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer()
          .alwaysPrintFieldsWithNoPresence()
          .omittingInsignificantWhitespace()
          .usingTypeRegistry(DETAILS);
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  private Json() {}

  public static String print(com.google.protobuf.MessageOrBuilder message) {
    try {
      return PRINTER.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + message.getClass().getSimpleName(), e);
    }
  }

  static String print(Any detail) {
    return print((com.google.protobuf.MessageOrBuilder) detail);
  }

  /** Parses a request body; malformed JSON or unknown fields are a BadRequest on "body". */
  public static <B extends Message.Builder> B parse(String body, B builder) {
    if (body == null || body.isBlank()) {
      throw InvalidRequestException.of("body", "a JSON request body is required");
    }
    try {
      PARSER.merge(body, builder);
      return builder;
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw InvalidRequestException.of("body", "not a valid JSON request: " + e.getMessage());
    }
  }
}
