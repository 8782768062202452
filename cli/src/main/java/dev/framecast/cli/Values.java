package dev.framecast.cli;

import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Parses option values, failing with a message that names the option and the bad value. */
final class Values {
  private Values() {}

  /** The value after {@code args[i]}, or a usage error naming the option that lacks it. */
  static String next(String[] args, int i) {
    if (i + 1 >= args.length) {
      throw new UsageException(args[i] + " needs a value");
    }
    return args[i + 1];
  }

  static int positive(String option, String value) {
    int n = integer(option, value, "a positive integer");
    if (n < 1) {
      throw new UsageException(option + " expects a positive integer, got '" + value + "'");
    }
    return n;
  }

  static int nonNegative(String option, String value) {
    int n = integer(option, value, "a non-negative integer");
    if (n < 0) {
      throw new UsageException(option + " expects a non-negative integer, got '" + value + "'");
    }
    return n;
  }

  private static int integer(String option, String value, String what) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(option + " expects " + what + ", got '" + value + "'");
    }
  }

  /** A seed: the API's uint64, so anything from 0 to 2^64-1 (sent as the same 64 bits). */
  static long seed(String option, String value) {
    try {
      return Long.parseUnsignedLong(value.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(
          option + " expects an integer from 0 to 18446744073709551615, got '" + value + "'");
    }
  }

  static float number(String option, String value) {
    try {
      float f = Float.parseFloat(value.trim());
      if (Float.isFinite(f)) {
        return f;
      }
    } catch (NumberFormatException e) {
      // reported below, with the option's name
    }
    throw new UsageException(option + " expects a number, got '" + value + "'");
  }

  /** One of {@code choices}' keys, case-insensitively. */
  static <T> T choice(String option, String value, Map<String, T> choices) {
    T chosen = choices.get(value.toLowerCase(Locale.ROOT));
    if (chosen == null) {
      throw new UsageException(
          option
              + " expects one of "
              + choices.keySet().stream().sorted().collect(Collectors.joining(", "))
              + "; got '"
              + value
              + "'");
    }
    return chosen;
  }

  static String nonBlank(String option, String value) {
    if (value.isBlank()) {
      throw new UsageException(option + " must not be empty");
    }
    return value;
  }
}
