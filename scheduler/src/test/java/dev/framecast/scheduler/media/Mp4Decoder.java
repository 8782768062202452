package dev.framecast.scheduler.media;

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
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_get_pix_fmt_name;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.SWS_CS_ITU709;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCoefficients;
import static org.bytedeco.ffmpeg.global.swscale.sws_getContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;
import static org.bytedeco.ffmpeg.global.swscale.sws_setColorspaceDetails;

import java.io.IOException;
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
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Decodes an MP4's video track back to RGB with FFmpeg's own H.264 decoder (not the encoder that
 * wrote it), converting with the BT.709 limited-range matrix the encoder signals.
 */
final class Mp4Decoder {
  /** What came back: the decoder's view of the stream and every frame as RGB. */
  record Decoded(String codec, int width, int height, String pixelFormat, List<byte[]> frames) {}

  private Mp4Decoder() {}

  static Decoded decode(byte[] mp4, Path directory) throws IOException {
    Path file = Files.createTempFile(directory, "decode-", ".mp4");
    Files.write(file, mp4);
    AVFormatContext input = new AVFormatContext(null);
    AVCodecContext decoder = null;
    AVPacket packet = null;
    AVFrame frame = null;
    SwsContext converter = null;
    BytePointer rgb = null;
    PointerPointer<BytePointer> planes = null;
    IntPointer strides = null;
    try {
      FfmpegMp4Writer.check(
          avformat_open_input(input, file.toString(), (AVInputFormat) null, (AVDictionary) null),
          "open");
      FfmpegMp4Writer.check(avformat_find_stream_info(input, (PointerPointer<?>) null), "info");
      int index = av_find_best_stream(input, AVMEDIA_TYPE_VIDEO, -1, -1, (AVCodec) null, 0);
      FfmpegMp4Writer.check(index, "video stream");
      AVCodec codec = avcodec_find_decoder(input.streams(index).codecpar().codec_id());
      decoder = avcodec_alloc_context3(codec);
      FfmpegMp4Writer.check(
          avcodec_parameters_to_context(decoder, input.streams(index).codecpar()), "parameters");
      FfmpegMp4Writer.check(avcodec_open2(decoder, codec, (AVDictionary) null), "decoder");
      int width = decoder.width();
      int height = decoder.height();
      String pixelFormat = av_get_pix_fmt_name(decoder.pix_fmt()).getString();
      converter =
          sws_getContext(
              width,
              height,
              decoder.pix_fmt(),
              width,
              height,
              AV_PIX_FMT_RGB24,
              SWS_BILINEAR,
              null,
              null,
              (DoublePointer) null);
      IntPointer bt709 = sws_getCoefficients(SWS_CS_ITU709);
      sws_setColorspaceDetails(converter, bt709, 0, bt709, 1, 0, 1 << 16, 1 << 16);
      rgb = new BytePointer((long) width * height * 3);
      planes = new PointerPointer<>(rgb, null, null, null);
      strides = new IntPointer(width * 3, 0, 0, 0);
      packet = av_packet_alloc();
      frame = av_frame_alloc();
      List<byte[]> frames = new ArrayList<>();
      boolean inputDone = false;
      while (true) {
        if (!inputDone) {
          if (av_read_frame(input, packet) < 0) {
            inputDone = true;
            avcodec_send_packet(decoder, null);
          } else {
            if (packet.stream_index() == index) {
              FfmpegMp4Writer.check(avcodec_send_packet(decoder, packet), "send packet");
            }
            av_packet_unref(packet);
          }
        }
        int rc;
        while ((rc = avcodec_receive_frame(decoder, frame)) >= 0) {
          sws_scale(converter, frame.data(), frame.linesize(), 0, height, planes, strides);
          byte[] out = new byte[width * height * 3];
          rgb.get(out);
          frames.add(out);
        }
        if (rc == AVERROR_EOF) {
          break;
        }
      }
      String codecName = codec.name().getString();
      return new Decoded(codecName, width, height, pixelFormat, frames);
    } finally {
      for (Pointer p : new Pointer[] {rgb, planes, strides}) {
        if (p != null) {
          p.close();
        }
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
      if (!input.isNull()) {
        avformat_close_input(input);
      }
      Files.deleteIfExists(file);
    }
  }
}
