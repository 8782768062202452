package dev.framecast.media;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avutil.AVCOL_RANGE_JPEG;
import static org.bytedeco.ffmpeg.global.avutil.AVCOL_SPC_BT709;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EAGAIN;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_get_pix_fmt_name;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.avutil.av_strerror;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.SWS_CS_DEFAULT;
import static org.bytedeco.ffmpeg.global.swscale.SWS_CS_ITU709;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCoefficients;
import static org.bytedeco.ffmpeg.global.swscale.sws_getContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;
import static org.bytedeco.ffmpeg.global.swscale.sws_setColorspaceDetails;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVInputFormat;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Decodes the video track of an MP4 (H.264 from the platform, or anything FFmpeg reads) to RGB
 * frames with FFmpeg's own decoder, converting with the matrix and range the stream signals (BT.709
 * limited range for the platform's clips), so the colours scored are the colours a browser shows.
 * Thread-safe: each call owns its contexts and temporary file. Used by the CLI's evaluation and
 * contact sheets, and by the encoder's tests (a different decoder than the encoder's own code).
 */
public final class Mp4Decoder {
  /** A bound on decoded frames, so a hostile or broken file cannot exhaust memory. */
  static final long MAX_DECODED_BYTES = 1L << 30;

  static {
    // FFmpeg logs to stderr from native code; only errors belong there (same as the scheduler).
    av_log_set_level(AV_LOG_ERROR);
  }

  /**
   * The decoded clip.
   *
   * @param codec the decoder FFmpeg chose ("h264" for the platform's clips)
   * @param width frame width in pixels
   * @param height frame height in pixels
   * @param pixelFormat the stream's pixel format before conversion ("yuv420p")
   * @param frames each frame as {@code height * width * 3} bytes, RGB, row-major
   */
  public record Decoded(
      String codec, int width, int height, String pixelFormat, List<byte[]> frames) {
    public Decoded {
      frames = List.copyOf(frames);
    }
  }

  private Mp4Decoder() {}

  /** Decodes {@code mp4}; the temporary file it needs goes to {@code java.io.tmpdir}. */
  public static Decoded decode(byte[] mp4) throws IOException {
    Path file = Files.createTempFile("framecast-decode-", ".mp4");
    try {
      Files.write(file, mp4);
      return decode(file);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  public static Decoded decode(Path file) throws IOException {
    try (Session session = new Session()) {
      return session.run(file);
    }
  }

  /** One decode's native resources, all freed by {@link #close}. */
  private static final class Session implements AutoCloseable {
    private final AVFormatContext input = new AVFormatContext(null);
    private boolean opened;
    private AVCodecContext decoder;
    private AVPacket packet;
    private AVFrame frame;
    private SwsContext converter;
    private BytePointer rgb;
    private PointerPointer<BytePointer> planes;
    private IntPointer strides;
    private int width;
    private int height;
    private long decodedBytes;

    Decoded run(Path file) throws IOException {
      check(
          avformat_open_input(input, file.toString(), (AVInputFormat) null, (AVDictionary) null),
          "opening " + file);
      opened = true;
      check(avformat_find_stream_info(input, (PointerPointer<?>) null), "reading stream info");
      int index =
          check(
              av_find_best_stream(input, AVMEDIA_TYPE_VIDEO, -1, -1, (AVCodec) null, 0),
              "finding a video stream");
      AVCodec codec = avcodec_find_decoder(input.streams(index).codecpar().codec_id());
      if (codec == null) {
        throw new IOException("FFmpeg has no decoder for the video stream of " + file);
      }
      decoder = avcodec_alloc_context3(codec);
      check(
          avcodec_parameters_to_context(decoder, input.streams(index).codecpar()),
          "decoder parameters");
      check(avcodec_open2(decoder, codec, (AVDictionary) null), "opening the decoder");
      packet = av_packet_alloc();
      frame = av_frame_alloc();
      List<byte[]> frames = new ArrayList<>();
      boolean flushed = false;
      while (true) {
        if (!flushed) {
          if (av_read_frame(input, packet) < 0) {
            check(avcodec_send_packet(decoder, null), "flushing the decoder");
            flushed = true;
          } else {
            try {
              if (packet.stream_index() == index) {
                check(avcodec_send_packet(decoder, packet), "decoding a packet");
              }
            } finally {
              av_packet_unref(packet);
            }
          }
        }
        int rc;
        while ((rc = avcodec_receive_frame(decoder, frame)) >= 0) {
          frames.add(toRgb());
        }
        if (rc == AVERROR_EOF || (flushed && rc == AVERROR_EAGAIN())) {
          break;
        }
        if (rc != AVERROR_EAGAIN()) {
          check(rc, "receiving a frame");
        }
      }
      if (frames.isEmpty()) {
        throw new IOException(file + " has a video stream without frames");
      }
      return new Decoded(
          decoder.codec().name().getString(),
          width,
          height,
          av_get_pix_fmt_name(decoder.pix_fmt()).getString(),
          frames);
    }

    private byte[] toRgb() throws IOException {
      if (converter == null) {
        openConverter();
      } else if (frame.width() != width || frame.height() != height) {
        throw new IOException(
            "the frame size changed mid-stream from "
                + width
                + "x"
                + height
                + " to "
                + frame.width()
                + "x"
                + frame.height());
      }
      decodedBytes += (long) width * height * 3;
      if (decodedBytes > MAX_DECODED_BYTES) {
        throw new IOException("the decoded clip exceeds " + MAX_DECODED_BYTES + " bytes");
      }
      sws_scale(converter, frame.data(), frame.linesize(), 0, height, planes, strides);
      byte[] out = new byte[width * height * 3];
      rgb.get(out);
      return out;
    }

    private void openConverter() throws IOException {
      width = frame.width();
      height = frame.height();
      converter =
          sws_getContext(
              width,
              height,
              frame.format(),
              width,
              height,
              AV_PIX_FMT_RGB24,
              SWS_BILINEAR,
              null,
              null,
              (DoublePointer) null);
      if (converter == null) {
        throw new IOException("cannot convert pixel format " + frame.format() + " to RGB");
      }
      IntPointer matrix =
          sws_getCoefficients(
              frame.colorspace() == AVCOL_SPC_BT709 ? SWS_CS_ITU709 : SWS_CS_DEFAULT);
      int sourceFullRange = frame.color_range() == AVCOL_RANGE_JPEG ? 1 : 0;
      sws_setColorspaceDetails(converter, matrix, sourceFullRange, matrix, 1, 0, 1 << 16, 1 << 16);
      rgb = new BytePointer((long) width * height * 3);
      planes = new PointerPointer<>(rgb, null, null, null);
      strides = new IntPointer(width * 3, 0, 0, 0);
    }

    @Override
    public void close() {
      if (rgb != null) {
        rgb.close();
      }
      if (planes != null) {
        planes.close();
      }
      if (strides != null) {
        strides.close();
      }
      if (converter != null) {
        sws_freeContext(converter);
      }
      if (frame != null) {
        av_frame_free(frame);
      }
      if (packet != null) {
        av_packet_free(packet);
      }
      if (decoder != null) {
        avcodec_free_context(decoder);
      }
      if (opened) {
        avformat_close_input(input);
      }
    }
  }

  private static int check(int rc, String what) throws IOException {
    if (rc < 0) {
      byte[] message = new byte[256];
      av_strerror(rc, message, message.length);
      int length = 0;
      while (length < message.length && message[length] != 0) {
        length++;
      }
      throw new IOException(
          what + " failed: " + new String(message, 0, length, StandardCharsets.UTF_8));
    }
    return rc;
  }
}
