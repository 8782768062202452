package dev.framecast.gateway.openai;

import java.util.Optional;

/**
 * One byte range of an HTTP {@code Range} header (RFC 9110, section 14): {@code bytes=FIRST-LAST},
 * {@code bytes=FIRST-} or {@code bytes=-SUFFIX}. A header this does not take (another unit, several
 * ranges, bad syntax) is ignored, as the RFC allows, and the whole representation is sent.
 */
record ByteRange(long offset, long length) {

  /** The range cannot be served: it starts past the end. */
  static final class NotSatisfiable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotSatisfiable(String message) {
      super(message);
    }
  }

  /** The range a header asks for within {@code size} bytes; empty for the whole. */
  static Optional<ByteRange> parse(String header, long size) {
    if (header == null) {
      return Optional.empty();
    }
    String value = header.trim();
    if (!value.regionMatches(true, 0, "bytes=", 0, 6)) {
      return Optional.empty();
    }
    String spec = value.substring(6).trim();
    int dash = spec.indexOf('-');
    if (spec.indexOf(',') >= 0 || dash < 0) {
      return Optional.empty();
    }
    String first = spec.substring(0, dash).trim();
    String last = spec.substring(dash + 1).trim();
    try {
      if (first.isEmpty()) {
        long suffix = digits(last);
        if (suffix == 0 || size == 0) {
          throw new NotSatisfiable("an empty suffix range");
        }
        long length = Math.min(suffix, size);
        return Optional.of(new ByteRange(size - length, length));
      }
      long start = digits(first);
      long end = last.isEmpty() ? Long.MAX_VALUE : digits(last);
      if (end < start) {
        return Optional.empty();
      }
      if (start >= size) {
        throw new NotSatisfiable("the range starts at byte " + start + " of " + size);
      }
      return Optional.of(new ByteRange(start, Math.min(end, size - 1) - start + 1));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static long digits(String s) {
    if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new NumberFormatException(s);
    }
    return s.length() > 18 ? Long.MAX_VALUE : Long.parseLong(s);
  }

  /** {@code bytes FIRST-LAST/SIZE}. */
  String contentRange(long size) {
    return "bytes " + offset + "-" + (offset + length - 1) + "/" + size;
  }
}
