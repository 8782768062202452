/**
 * Media output of a job: PNG frames and previews ({@link dev.framecast.media.PngEncoder}, a direct
 * writer fast enough to run for every frame), contact sheets ({@link
 * dev.framecast.media.ContactSheet}) and the final clip ({@link dev.framecast.media.ClipEncoder},
 * implemented by {@link dev.framecast.media.FfmpegClipEncoder}: H.264 Constrained Baseline in a
 * faststart MP4 that browsers play, encoded with FFmpeg's LGPL build and OpenH264). Everything here
 * reads the VAE's UINT8 {@code [frames, height, width, 3]} RGB tensor through {@link
 * dev.framecast.media.RgbFrames}, holds no state between calls and is safe to share between
 * threads; clip encoding takes up to seconds of CPU and belongs on a worker pool, never on the
 * scheduler's loop thread. The choice of library is measured and argued in docs/video-encoding.md.
 */
package dev.framecast.media;
