package dev.framecast.common.errors;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A request with fields out of bounds: INVALID_ARGUMENT with one {@code google.rpc.BadRequest}
 * field violation per problem, so a client can point at each field.
 */
public final class InvalidRequestException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  /**
   * One bad field. Kept free of protobuf types so validation code (here and in the gateway) does
   * not depend on how errors travel.
   *
   * @param field path of the field in the request, as in {@code google.rpc.BadRequest}: "steps",
   *     "guidance_scale", "prompt"
   * @param description why it is bad, for the client
   */
  public record FieldViolation(String field, String description) {
    public FieldViolation {
      Objects.requireNonNull(field, "field");
      Objects.requireNonNull(description, "description");
    }
  }

  private final List<FieldViolation> violations;

  public InvalidRequestException(List<FieldViolation> violations) {
    super(message(violations));
    this.violations = List.copyOf(violations);
  }

  /** A request with a single bad field. */
  public static InvalidRequestException of(String field, String description) {
    return new InvalidRequestException(List.of(new FieldViolation(field, description)));
  }

  public List<FieldViolation> violations() {
    return violations;
  }

  private static String message(List<FieldViolation> violations) {
    if (violations.isEmpty()) {
      throw new IllegalArgumentException("an invalid request needs at least one field violation");
    }
    return "invalid request: "
        + violations.stream()
            .map(v -> v.field() + ": " + v.description())
            .collect(Collectors.joining("; "));
  }
}
