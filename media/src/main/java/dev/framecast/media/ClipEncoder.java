package dev.framecast.media;

/**
 * Encodes decoded frames into the clip a client downloads.
 *
 * <p>Encoding takes from milliseconds (64x64) to seconds (720p) of CPU: call it on a worker pool,
 * never on the scheduler's loop thread. Implementations say whether they are thread-safe.
 */
public interface ClipEncoder {
  /**
   * The clip of {@code frames} played at {@code fps} frames per second.
   *
   * @throws IllegalArgumentException when the frames or the frame rate cannot be encoded (the
   *     message says why); nothing is retried
   * @throws ClipEncodingException when the encoder itself fails
   */
  byte[] encode(RgbFrames frames, double fps);

  /** The media type of what {@link #encode} returns, for example {@code video/mp4}. */
  String contentType();
}
