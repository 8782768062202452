package dev.framecast.node.infer;

import dev.framecast.node.tensor.Shapes;
import java.util.Collection;
import java.util.stream.Collectors;

/**
 * Triton's status codes and error messages for the failures this node reports, in one place. The
 * sources (Triton core and server files) are listed in docs/triton-semantics.md. Messages that
 * Triton prefixes with the request id take {@code requestId}.
 */
public final class Errors {
  private static final String BATCH_NOTE =
      "NOTE: Setting a non-zero max_batch_size in the model config requires a batch dimension to"
          + " be prepended to each input shape. If you want to specify the full shape including"
          + " the batch dim in your input dims config, try setting max_batch_size to zero. See"
          + " the model configuration docs for more info on max_batch_size.";
  private static final String ALLOWED_TRITON_PARAMETERS = "triton_enable_empty_final_response";

  private Errors() {}

  /** Triton's request log prefix: "[request id: abc] ", or "<id_unknown>" without an id. */
  static String prefix(String requestId) {
    return "[request id: " + (requestId.isEmpty() ? "<id_unknown>" : requestId) + "] ";
  }

  // Model lookup.

  public static InferenceException unknownModel(String model) {
    return InferenceException.notFound("Request for unknown model: '" + model + "' is not found");
  }

  public static InferenceException unknownVersion(String model, long version) {
    return InferenceException.notFound(
        "Request for unknown model: '" + model + "' version " + version + " is not found");
  }

  public static InferenceException noAvailableVersions(String model) {
    return InferenceException.notFound(
        "Request for unknown model: '" + model + "' has no available versions");
  }

  public static InferenceException versionNotReady(String model, long version) {
    return InferenceException.unavailable(
        "Request for unknown model: '" + model + "' version " + version + " is not at ready state");
  }

  public static InferenceException unparsableVersion(String version) {
    return InferenceException.invalid(
        "failed to get model version from specified version string '"
            + version
            + "' (details: stol), version should be an integral value > 0");
  }

  public static InferenceException negativeVersion(String version) {
    return InferenceException.invalid(
        "invalid model version specified '"
            + version
            + "' , version should be an integral value > 0");
  }

  public static InferenceException statisticsModel(String model) {
    return InferenceException.invalid("requested model '" + model + "' is not available");
  }

  public static InferenceException statisticsVersion(String model) {
    return InferenceException.invalid(
        "requested model version is not available for model '" + model + "'");
  }

  // Request metadata and tensor data (server side, before validation).

  public static InferenceException parameterType(String key, String expected) {
    return InferenceException.invalid(
        "invalid value type for '" + key + "' parameter, expected " + expected + ".");
  }

  public static InferenceException negativePriority() {
    return InferenceException.invalid("invalid value for 'priority', expected value >= 0.");
  }

  public static InferenceException reservedParameter() {
    return InferenceException.invalid(
        "parameter keys starting with 'triton_' are reserved for Triton usage. Only the following"
            + " keys starting with 'triton_' are allowed: "
            + ALLOWED_TRITON_PARAMETERS
            + " ");
  }

  public static InferenceException duplicateInput(String requestId, String input) {
    return InferenceException.invalid(
        prefix(requestId) + "input '" + input + "' already exists in request");
  }

  public static InferenceException duplicateOutput(String requestId, String output) {
    return InferenceException.invalid(
        prefix(requestId) + "output '" + output + "' already exists in request");
  }

  public static InferenceException mixedContents(String input, String model) {
    return InferenceException.invalid(
        "contents field must not be specified when using raw_input_contents for '"
            + input
            + "' for model '"
            + model
            + "'");
  }

  public static InferenceException missingData(String input, String model) {
    return InferenceException.invalid(
        "unable to find data for input tensor '"
            + input
            + "' for model '"
            + model
            + "' in request.");
  }

  public static InferenceException wrongContentsType(
      String input, String model, String contentsType, String datatype) {
    return InferenceException.invalid(
        "unexpected explicit tensor data for input tensor '"
            + input
            + "' for model '"
            + model
            + "' of type '"
            + contentsType
            + "', expected datatype '"
            + datatype
            + "'");
  }

  public static InferenceException contentsAlreadySupplied(String input, String model) {
    return InferenceException.invalid(
        "unexpected explicit tensor data for input tensor '"
            + input
            + "' for model '"
            + model
            + "', binary data was already supplied.");
  }

  // Validation against the model (Triton core's Normalize).

  public static InferenceException unexpectedOutput(String output, String model) {
    return InferenceException.invalid(
        "unexpected inference output '" + output + "' for model '" + model + "'");
  }

  public static InferenceException inputCount(
      String requestId,
      int expected,
      Collection<String> got,
      Collection<String> missing,
      String model) {
    return InferenceException.invalid(
        prefix(requestId)
            + "expected "
            + expected
            + " inputs but got "
            + got.size()
            + " inputs for model '"
            + model
            + "'. Got input(s) "
            + quoted(got)
            + ", but missing required input(s) "
            + quoted(missing)
            + ". Please provide all required input(s).");
  }

  public static InferenceException unexpectedInput(String input, String model) {
    return InferenceException.invalid(
        "unexpected inference input '" + input + "' for model '" + model + "'");
  }

  public static InferenceException noBatchDimension(String requestId, String input, String model) {
    return InferenceException.invalid(
        prefix(requestId)
            + "input '"
            + input
            + "' has no shape but model requires batch dimension for '"
            + model
            + "'");
  }

  public static InferenceException batchMismatch(String requestId, String input, String model) {
    return InferenceException.invalid(
        prefix(requestId)
            + "input '"
            + input
            + "' batch size does not match other inputs for '"
            + model
            + "'");
  }

  public static InferenceException batchTooLarge(String requestId, int max, String model) {
    return InferenceException.invalid(
        prefix(requestId)
            + "inference request batch-size must be <= "
            + max
            + " for '"
            + model
            + "'");
  }

  public static InferenceException dataType(
      String requestId, String input, String actual, String expected, String model) {
    return InferenceException.invalid(
        prefix(requestId)
            + "inference input '"
            + input
            + "' data-type is '"
            + actual
            + "', but model '"
            + model
            + "' expects '"
            + expected
            + "'");
  }

  public static InferenceException unspecifiedDimension(
      String requestId, String input, String model, long[] shape) {
    return InferenceException.invalid(
        prefix(requestId)
            + "All input dimensions should be specified for input '"
            + input
            + "' for model '"
            + model
            + "', got "
            + Shapes.format(shape));
  }

  public static InferenceException shape(
      String requestId,
      String input,
      String model,
      long[] expected,
      long[] actual,
      boolean batched) {
    return InferenceException.invalid(
        prefix(requestId)
            + "unexpected shape for input '"
            + input
            + "' for model '"
            + model
            + "'. Expected "
            + Shapes.format(expected)
            + ", got "
            + Shapes.format(actual)
            + ". "
            + (batched ? BATCH_NOTE : ""));
  }

  public static InferenceException byteSize(
      String requestId, String input, String model, long expected, long actual) {
    return InferenceException.invalid(
        prefix(requestId)
            + "input byte size mismatch for input '"
            + input
            + "' for model '"
            + model
            + "'. Expected "
            + expected
            + ", got "
            + actual);
  }

  public static InferenceException incompleteStringLength(
      String requestId, String input, String model, int available) {
    return InferenceException.invalid(
        prefix(requestId)
            + "incomplete string length indicator for inference input '"
            + input
            + "' for model '"
            + model
            + "', expecting 4 bytes but only "
            + available
            + " bytes available. Please make sure the string length indicator is in one buffer.");
  }

  public static InferenceException tooManyStrings(
      String requestId, String input, String model, long found, long expected) {
    return InferenceException.invalid(
        prefix(requestId)
            + "unexpected number of string elements "
            + found
            + " for inference input '"
            + input
            + "' for model '"
            + model
            + "', expecting "
            + expected);
  }

  public static InferenceException tooFewStrings(
      String requestId, String input, String model, long expected, long found) {
    return InferenceException.invalid(
        prefix(requestId)
            + "expected "
            + expected
            + " string elements for inference input '"
            + input
            + "' for model '"
            + model
            + "', got "
            + found);
  }

  public static InferenceException truncatedString(String requestId, String input, String model) {
    // Triton's core lets this through to the backend, which then fails; we reject it up front.
    return InferenceException.invalid(
        prefix(requestId)
            + "string element of inference input '"
            + input
            + "' for model '"
            + model
            + "' is longer than the remaining data");
  }

  // Scheduling.

  public static InferenceException queueFull(String requestId) {
    return InferenceException.unavailable(prefix(requestId) + "Exceeds maximum queue size");
  }

  public static InferenceException timeout() {
    return InferenceException.unavailable("Request timeout expired");
  }

  public static InferenceException cancelled() {
    return new InferenceException(
        io.grpc.Status.Code.CANCELLED, InferenceException.Reason.CANCELED, "");
  }

  public static InferenceException stopping(String requestId) {
    return InferenceException.unavailable(
        prefix(requestId)
            + "Server is stopping, scheduler for model has stopped accepting new inference"
            + " requests");
  }

  /**
   * Triton's list format: ['a','b'] (and "]" for an empty list of missing inputs is an upstream
   * artifact we do not copy).
   */
  private static String quoted(Collection<String> names) {
    return names.stream().map(n -> "'" + n + "'").collect(Collectors.joining(",", "[", "]"));
  }
}
