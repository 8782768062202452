package dev.framecast.scheduler.store;

import dev.framecast.scheduler.engine.ClipStore;
import dev.framecast.scheduler.job.LatentCheckpoint;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Clips on disk as {@code <root>/<tenant>/<job id>.mp4} (and the frame PNGs of jobs that asked for
 * them as {@code <job id>.frames}: each a 4-byte big-endian length and the PNG; and a running job's
 * latest latent checkpoint as {@code <job id>.latents}), written to a temporary file and moved into
 * place, so a reader never sees half a clip and a crash leaves no partial file under the final
 * name. Clips older than the retention are deleted by {@link #sweep()}.
 */
public final class DiskClipStore implements ClipStore {
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._-]{1,128}");
  private static final String SUFFIX = ".mp4";
  private static final String FRAMES = ".frames";
  private static final String CHECKPOINT = ".latents";
  private static final String THUMBNAIL = ".thumbnail.png";
  private static final String SPRITESHEET = ".spritesheet.png";

  /**
   * "FCK2": a checkpoint file of this layout. The layout before it ("FCK1") had no pipeline
   * fingerprint: such a file reads as none, and its job starts over.
   */
  private static final int CHECKPOINT_MAGIC = 0x46434B32;

  private final Path root;
  private final Duration retention;
  private final Clock clock;

  public DiskClipStore(Path root, Duration retention, Clock clock) throws IOException {
    this.root = Files.createDirectories(root);
    this.retention = retention;
    this.clock = clock;
  }

  @Override
  public void put(String tenant, String jobId, byte[] clip) throws IOException {
    write(tenant, jobId + SUFFIX, clip);
  }

  @Override
  public void putFrames(String tenant, String jobId, java.util.List<byte[]> pngs)
      throws IOException {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
    for (byte[] png : pngs) {
      out.writeInt(png.length);
      out.write(png);
    }
    write(tenant, jobId + FRAMES, bytes.toByteArray());
  }

  @Override
  public java.util.Optional<java.util.List<byte[]>> frames(String tenant, String jobId)
      throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(root.resolve(safe(tenant)).resolve(safe(jobId) + FRAMES));
    } catch (NoSuchFileException e) {
      return java.util.Optional.empty();
    }
    java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
    java.util.List<byte[]> pngs = new java.util.ArrayList<>();
    while (in.remaining() >= 4) {
      int length = in.getInt();
      if (length < 0 || length > in.remaining()) {
        throw new IOException("the frames file of job " + jobId + " is truncated");
      }
      byte[] png = new byte[length];
      in.get(png);
      pngs.add(png);
    }
    return java.util.Optional.of(pngs);
  }

  /**
   * {@code <job id>.latents}: magic, step, GPU-seconds, the pipeline's step fingerprint, length,
   * CRC-32 of the latents, the latents; replaced atomically, so a reader sees the previous
   * checkpoint or this one, whole.
   */
  @Override
  public void putCheckpoint(String tenant, String jobId, LatentCheckpoint checkpoint)
      throws IOException {
    byte[] latents = checkpoint.latents();
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(latents);
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(latents.length + 36);
    java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
    out.writeInt(CHECKPOINT_MAGIC);
    out.writeInt(checkpoint.step());
    out.writeDouble(checkpoint.gpuSeconds());
    out.writeLong(checkpoint.pipeline());
    out.writeInt(latents.length);
    out.writeLong(crc.getValue());
    out.write(latents);
    write(tenant, jobId + CHECKPOINT, bytes.toByteArray());
  }

  /**
   * The checkpoint, or empty when there is none or it does not check out (then it is a loss of
   * progress, not an error: the job runs from its first step).
   */
  @Override
  public java.util.Optional<LatentCheckpoint> checkpoint(String tenant, String jobId)
      throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(root.resolve(safe(tenant)).resolve(safe(jobId) + CHECKPOINT));
    } catch (NoSuchFileException e) {
      return java.util.Optional.empty();
    }
    try {
      java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
      if (in.getInt() != CHECKPOINT_MAGIC) {
        return java.util.Optional.empty();
      }
      int step = in.getInt();
      double gpuSeconds = in.getDouble();
      long pipeline = in.getLong();
      int length = in.getInt();
      long expected = in.getLong();
      if (length < 0 || length != in.remaining()) {
        return java.util.Optional.empty();
      }
      byte[] latents = new byte[length];
      in.get(latents);
      java.util.zip.CRC32 crc = new java.util.zip.CRC32();
      crc.update(latents);
      if (crc.getValue() != expected) {
        return java.util.Optional.empty();
      }
      return java.util.Optional.of(new LatentCheckpoint(step, gpuSeconds, pipeline, latents));
    } catch (java.nio.BufferUnderflowException | IllegalArgumentException damaged) {
      return java.util.Optional.empty();
    }
  }

  @Override
  public void deleteCheckpoint(String tenant, String jobId) throws IOException {
    Files.deleteIfExists(root.resolve(safe(tenant)).resolve(safe(jobId) + CHECKPOINT));
  }

  private void write(String tenant, String name, byte[] data) throws IOException {
    Path dir = Files.createDirectories(root.resolve(safe(tenant)));
    Path target = dir.resolve(safe(name));
    Path temp = Files.createTempFile(dir, ".incoming-", ".tmp");
    try {
      Files.write(temp, data);
      try {
        Files.move(
            temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  @Override
  public java.util.Optional<byte[]> get(String tenant, String jobId) throws IOException {
    try {
      return java.util.Optional.of(
          Files.readAllBytes(root.resolve(safe(tenant)).resolve(safe(jobId) + SUFFIX)));
    } catch (NoSuchFileException e) {
      return java.util.Optional.empty();
    }
  }

  private static String suffix(Asset asset) {
    return switch (asset) {
      case VIDEO -> SUFFIX;
      case THUMBNAIL -> THUMBNAIL;
      case SPRITESHEET -> SPRITESHEET;
    };
  }

  @Override
  public void putAsset(String tenant, String jobId, Asset asset, byte[] bytes) throws IOException {
    write(tenant, safe(jobId) + suffix(asset), bytes);
  }

  /**
   * The asset's file, read from where it is asked for. Its tag is its size and modification time
   * (an asset is written once, by a move, so it changes only by being replaced).
   */
  @Override
  public java.util.Optional<Blob> open(String tenant, String jobId, Asset asset)
      throws IOException {
    Path file = root.resolve(safe(tenant)).resolve(safe(jobId) + suffix(asset));
    java.nio.file.attribute.BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return java.util.Optional.empty();
    }
    long size = attributes.size();
    String etag =
        "\""
            + Long.toHexString(size)
            + "-"
            + Long.toHexString(attributes.lastModifiedTime().toMillis())
            + "\"";
    return java.util.Optional.of(
        new Blob() {
          @Override
          public long size() {
            return size;
          }

          @Override
          public String etag() {
            return etag;
          }

          @Override
          public java.io.InputStream open(long offset, long length) throws IOException {
            java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file);
            try {
              channel.position(offset);
              java.io.InputStream in = java.nio.channels.Channels.newInputStream(channel);
              return new java.io.FilterInputStream(in) {
                private long left = length;

                @Override
                public int read() throws IOException {
                  if (left <= 0) {
                    return -1;
                  }
                  int b = super.read();
                  if (b >= 0) {
                    left--;
                  }
                  return b;
                }

                @Override
                public int read(byte[] buffer, int off, int len) throws IOException {
                  if (left <= 0) {
                    return -1;
                  }
                  int n = super.read(buffer, off, (int) Math.min(len, left));
                  if (n > 0) {
                    left -= n;
                  }
                  return n;
                }
              };
            } catch (IOException | RuntimeException e) {
              channel.close();
              throw e;
            }
          }
        });
  }

  @Override
  public void delete(String tenant, String jobId) throws IOException {
    Path dir = root.resolve(safe(tenant));
    for (String suffix : new String[] {SUFFIX, THUMBNAIL, SPRITESHEET, FRAMES, CHECKPOINT}) {
      Files.deleteIfExists(dir.resolve(safe(jobId) + suffix));
    }
  }

  @Override
  public java.util.Optional<Duration> retention() {
    return java.util.Optional.of(retention);
  }

  /** Deletes clips (and leftover temporary files) older than the retention; returns how many. */
  public int sweep() throws IOException {
    Instant cutoff = clock.instant().minus(retention);
    int deleted = 0;
    try (Stream<Path> files = Files.walk(root, 2)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        if (Files.getLastModifiedTime(file).toInstant().isBefore(cutoff)) {
          Files.deleteIfExists(file);
          deleted++;
        }
      }
    }
    return deleted;
  }

  /** Tenant names and job ids become path segments: only a safe alphabet is accepted. */
  private static String safe(String segment) {
    if (!SAFE.matcher(segment).matches() || segment.startsWith(".")) {
      throw new IllegalArgumentException("unsafe name for a clip path: '" + segment + "'");
    }
    return segment;
  }
}
