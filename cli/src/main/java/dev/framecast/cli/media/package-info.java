/**
 * Clips on the client side: MP4 decoding to RGB with FFmpeg (org.bytedeco) and contact sheets made
 * with the scheduler's {@code ContactSheet}.
 */
package dev.framecast.cli.media;
