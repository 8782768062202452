package dev.framecast.scheduler.pipeline;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The reference tokenizer ("utf8-bytes"): each UTF-8 byte + 1, 0 pads, truncated to the model's
 * maximum length. Validation rejects prompts longer than the maximum before this runs.
 */
public final class Tokenizer {
  private Tokenizer() {}

  /** INT64 little-endian token ids, ready for raw_input_contents. */
  public static byte[] utf8Bytes(String text, int maxLength) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    ByteBuffer ids = ByteBuffer.allocate(maxLength * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < maxLength; i++) {
      ids.putLong(i < bytes.length ? (bytes[i] & 0xFF) + 1 : 0);
    }
    return ids.array();
  }
}
