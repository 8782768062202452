/**
 * Clips on the client side: MP4 decoding to RGB with FFmpeg (org.bytedeco) and contact sheets made
 * with {@code ContactSheet} (framecast-media).
 */
package dev.framecast.cli.media;
