package dev.framecast.cli.client;

import dev.framecast.api.v1.ClipChunk;
import java.io.ByteArrayOutputStream;

/**
 * Puts a clip back together from its {@code clip_chunk} events. Chunks must arrive in order and
 * without gaps (each one's offset is the number of bytes so far), which the event log guarantees;
 * anything else means a broken server or a bug in replay, and is reported rather than written out
 * as a corrupt MP4.
 */
public final class ClipAssembler {
  /** A bound on what one clip may hold in memory (a 121-frame 720p clip is a few MiB). */
  public static final long DEFAULT_MAX_BYTES = 1L << 30;

  private final long maxBytes;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private String contentType = "";
  private boolean last;

  public ClipAssembler(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  public ClipAssembler() {
    this(DEFAULT_MAX_BYTES);
  }

  public void accept(ClipChunk chunk) {
    long offset = chunk.getOffset();
    int have = bytes.size();
    if (last) {
      throw new BrokenStreamException(
          "a clip chunk at offset " + offset + " arrived after the final chunk");
    }
    if (offset != have) {
      throw new BrokenStreamException(
          "a clip chunk at offset "
              + offset
              + " arrived after "
              + have
              + " bytes ("
              + (offset > have ? "a gap" : "out of order or repeated")
              + ")");
    }
    if (have + (long) chunk.getData().size() > maxBytes) {
      throw new BrokenStreamException("the clip is larger than " + maxBytes + " bytes");
    }
    // ByteArrayOutputStream.writeBytes never throws, unlike ByteString.writeTo(OutputStream).
    bytes.writeBytes(chunk.getData().toByteArray());
    last = chunk.getLast();
    if (!chunk.getContentType().isEmpty()) {
      contentType = chunk.getContentType();
    }
  }

  /** The whole clip, checked against the size the Completed event announced. */
  public byte[] finish(long expectedSize) {
    if (!last) {
      throw new BrokenStreamException(
          "the job completed but its clip ended without a final chunk ("
              + bytes.size()
              + " of "
              + expectedSize
              + " bytes received)");
    }
    if (bytes.size() != expectedSize) {
      throw new BrokenStreamException(
          "the clip has " + bytes.size() + " bytes but the server announced " + expectedSize);
    }
    return bytes.toByteArray();
  }

  public long size() {
    return bytes.size();
  }

  /** The content type of the chunks ("video/mp4"), empty until a chunk named one. */
  public String contentType() {
    return contentType;
  }
}
