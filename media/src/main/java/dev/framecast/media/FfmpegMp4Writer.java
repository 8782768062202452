package dev.framecast.media;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_FLAG_GLOBAL_HEADER;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_rescale_ts;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder_by_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_from_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_packet;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_frame;
import static org.bytedeco.ffmpeg.global.avformat.AVFMT_GLOBALHEADER;
import static org.bytedeco.ffmpeg.global.avformat.AVIO_FLAG_WRITE;
import static org.bytedeco.ffmpeg.global.avformat.av_interleaved_write_frame;
import static org.bytedeco.ffmpeg.global.avformat.av_write_trailer;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_output_context2;
import static org.bytedeco.ffmpeg.global.avformat.avformat_free_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_new_stream;
import static org.bytedeco.ffmpeg.global.avformat.avformat_write_header;
import static org.bytedeco.ffmpeg.global.avformat.avio_closep;
import static org.bytedeco.ffmpeg.global.avformat.avio_open;
import static org.bytedeco.ffmpeg.global.avutil.AVCOL_PRI_BT709;
import static org.bytedeco.ffmpeg.global.avutil.AVCOL_RANGE_MPEG;
import static org.bytedeco.ffmpeg.global.avutil.AVCOL_SPC_BT709;
import static org.bytedeco.ffmpeg.global.avutil.AVCOL_TRC_BT709;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EAGAIN;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.av_d2q;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_make_writable;
import static org.bytedeco.ffmpeg.global.avutil.av_inv_q;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.avutil.av_strerror;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.SWS_CS_ITU709;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCoefficients;
import static org.bytedeco.ffmpeg.global.swscale.sws_getContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;
import static org.bytedeco.ffmpeg.global.swscale.sws_setColorspaceDetails;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * One clip's FFmpeg pipeline: RGB to BT.709 YUV 4:2:0 (swscale), OpenH264, the MP4 muxer with
 * {@code +faststart}, writing to a file. Not thread-safe; lives inside one {@link
 * FfmpegClipEncoder#encode} call. {@link #close} frees every native resource, whether or not {@link
 * #finish} ran.
 */
final class FfmpegMp4Writer implements AutoCloseable {
  private static final String ENCODER = "libopenh264";

  /**
   * An IDR picture every other frame, so every P frame predicts from an intra-coded one. FFmpeg's
   * libopenh264 wrapper hard-codes OpenH264's background detection on, and that detection lets a
   * macroblock be skipped (copied from the reference) when its source looks static, judged on the
   * source frames and the chroma only: on a flat background a moving shape then leaves a copy of
   * itself behind, up to full brightness, that lasts until the next IDR (57 of 400 frames of moving
   * shapes on black at 64x64 with a keyframe every two seconds, also at 512x512). The skip is never
   * taken when the co-located reference macroblock is intra, which is what every P frame sees here
   * (0 of 400 at every size measured). The cost is bytes: 1.7x at 64x64, 2.2x on the 720p benchmark
   * clip (media/docs/video-encoding.md).
   */
  static final int INTRA_PERIOD = 2;

  static {
    // FFmpeg logs to stderr from native code; only errors belong there. The level is global to
    // the process, and this class is the only FFmpeg user in the scheduler.
    av_log_set_level(AV_LOG_ERROR);
  }

  private final int width;
  private final int height;
  private final AVFormatContext muxer = new AVFormatContext(null);
  private AVIOContext io;
  private AVCodecContext encoder;
  private AVStream stream;
  private SwsContext converter;
  private AVFrame frame;
  private AVPacket packet;
  private BytePointer rgb;
  private ByteBuffer rgbView;
  private PointerPointer<BytePointer> rgbPlanes;
  private IntPointer rgbStrides;
  private AVRational frameRate;
  private AVRational timeBase;

  FfmpegMp4Writer(Path file, int width, int height, double fps, long bitRate) {
    this.width = width;
    this.height = height;
    try {
      // 12.5 fps becomes 25/2; whole rates stay n/1.
      frameRate = av_d2q(fps, 100_000);
      timeBase = av_inv_q(frameRate);
      openEncoder(bitRate, file);
      openConverter();
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private void openEncoder(long bitRate, Path file) {
    check(avformat_alloc_output_context2(muxer, null, "mp4", file.toString()), "mp4 muxer");
    AVCodec codec = avcodec_find_encoder_by_name(ENCODER);
    encoder = avcodec_alloc_context3(codec);
    if (encoder == null) {
      throw new ClipEncodingException("avcodec_alloc_context3 failed");
    }
    encoder.width(width).height(height).pix_fmt(AV_PIX_FMT_YUV420P);
    encoder.framerate(frameRate).time_base(timeBase);
    encoder.bit_rate(bitRate);
    encoder.gop_size(INTRA_PERIOD);
    encoder.thread_count(1);
    encoder.color_range(AVCOL_RANGE_MPEG).colorspace(AVCOL_SPC_BT709);
    encoder.color_primaries(AVCOL_PRI_BT709).color_trc(AVCOL_TRC_BT709);
    if ((muxer.oformat().flags() & AVFMT_GLOBALHEADER) != 0) {
      encoder.flags(encoder.flags() | AV_CODEC_FLAG_GLOBAL_HEADER); // SPS/PPS in avcC
    }
    check(avcodec_open2(encoder, codec, (AVDictionary) null), "opening " + ENCODER);
    stream = avformat_new_stream(muxer, null);
    if (stream == null) {
      throw new ClipEncodingException("avformat_new_stream failed");
    }
    check(avcodec_parameters_from_context(stream.codecpar(), encoder), "stream parameters");
    stream.time_base(encoder.time_base());
    io = new AVIOContext(null);
    check(avio_open(io, file.toString(), AVIO_FLAG_WRITE), "opening " + file);
    muxer.pb(io);
    AVDictionary options = new AVDictionary(null);
    try {
      av_dict_set(options, "movflags", "+faststart", 0);
      check(avformat_write_header(muxer, options), "mp4 header");
    } finally {
      av_dict_free(options);
    }
  }

  private void openConverter() {
    frame = av_frame_alloc();
    frame.format(AV_PIX_FMT_YUV420P).width(width).height(height);
    check(av_frame_get_buffer(frame, 0), "frame buffer");
    packet = av_packet_alloc();
    converter =
        sws_getContext(
            width,
            height,
            AV_PIX_FMT_RGB24,
            width,
            height,
            AV_PIX_FMT_YUV420P,
            SWS_BILINEAR,
            null,
            null,
            (DoublePointer) null);
    if (converter == null) {
      throw new ClipEncodingException("sws_getContext failed");
    }
    // RGB (full range) to BT.709 limited-range YUV, matching what the encoder signals.
    IntPointer bt709 = sws_getCoefficients(SWS_CS_ITU709);
    sws_setColorspaceDetails(converter, bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16);
    rgb = new BytePointer((long) width * height * RgbFrames.CHANNELS);
    rgbView = rgb.asBuffer();
    rgbPlanes = new PointerPointer<>(rgb, null, null, null);
    rgbStrides = new IntPointer(width * RgbFrames.CHANNELS, 0, 0, 0);
  }

  /** Converts frame {@code index} to YUV and sends it to the encoder. */
  void write(RgbFrames frames, int index) {
    copyPadded(frames, index);
    check(av_frame_make_writable(frame), "frame buffer");
    sws_scale(converter, rgbPlanes, rgbStrides, 0, height, frame.data(), frame.linesize());
    frame.pts(index);
    frame.duration(1);
    check(avcodec_send_frame(encoder, frame), "encoding frame " + index);
    drain();
  }

  /** Copies a frame into the native RGB buffer, repeating the last column and row if odd. */
  private void copyPadded(RgbFrames frames, int index) {
    ByteBuffer src = frames.data();
    int srcRow = frames.width() * RgbFrames.CHANNELS;
    int dstRow = width * RgbFrames.CHANNELS;
    int offset = frames.frameOffset(index);
    if (srcRow == dstRow && frames.height() == height) {
      rgbView.clear();
      rgbView.put(src.position(offset).limit(offset + frames.frameBytes()));
      return;
    }
    for (int y = 0; y < frames.height(); y++) {
      int rowStart = offset + y * srcRow;
      rgbView.clear().position(y * dstRow);
      rgbView.put(src.limit(rowStart + srcRow).position(rowStart));
      src.clear();
      if (srcRow != dstRow) {
        for (int c = 0; c < RgbFrames.CHANNELS; c++) {
          rgbView.put(
              y * dstRow + srcRow + c, rgbView.get(y * dstRow + srcRow - RgbFrames.CHANNELS + c));
        }
      }
    }
    if (frames.height() != height) {
      int last = (height - 2) * dstRow;
      for (int i = 0; i < dstRow; i++) {
        rgbView.put(last + dstRow + i, rgbView.get(last + i));
      }
    }
  }

  /** Flushes the encoder and writes the MP4 trailer (moov, moved to the front). */
  void finish() {
    check(avcodec_send_frame(encoder, null), "flushing the encoder");
    drain();
    check(av_write_trailer(muxer), "mp4 trailer");
  }

  private void drain() {
    while (true) {
      int rc = avcodec_receive_packet(encoder, packet);
      if (rc == AVERROR_EAGAIN() || rc == AVERROR_EOF) {
        return;
      }
      check(rc, "receiving a packet");
      if (packet.duration() <= 0) {
        packet.duration(1); // the last sample's duration sets the clip's length
      }
      av_packet_rescale_ts(packet, encoder.time_base(), stream.time_base());
      packet.stream_index(stream.index());
      check(av_interleaved_write_frame(muxer, packet), "writing a packet"); // unrefs the packet
    }
  }

  @Override
  public void close() {
    if (io != null && !io.isNull()) {
      avio_closep(io);
      muxer.pb(null);
    }
    if (!muxer.isNull()) {
      avformat_free_context(muxer);
    }
    if (encoder != null) {
      avcodec_free_context(encoder);
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
    // JavaCPP would free these when collected; closing them keeps native memory bounded by the
    // clips in flight rather than by the garbage collector's schedule.
    for (Pointer p : new Pointer[] {rgb, rgbPlanes, rgbStrides, frameRate, timeBase}) {
      if (p != null) {
        p.close();
      }
    }
  }

  /** Fails when this FFmpeg build lacks the encoder (a wrong natives jar on the class path). */
  static void checkEncoderPresent() {
    if (avcodec_find_encoder_by_name(ENCODER) == null) {
      throw new ClipEncodingException("this FFmpeg build has no " + ENCODER + " encoder");
    }
  }

  /** Throws {@link ClipEncodingException} with FFmpeg's message when {@code rc} is an error. */
  static int check(int rc, String what) {
    if (rc < 0) {
      byte[] message = new byte[256];
      av_strerror(rc, message, message.length);
      int length = 0;
      while (length < message.length && message[length] != 0) {
        length++;
      }
      throw new ClipEncodingException(
          what + " failed: " + new String(message, 0, length, StandardCharsets.UTF_8));
    }
    return rc;
  }
}
