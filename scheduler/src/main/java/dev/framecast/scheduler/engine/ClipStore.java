package dev.framecast.scheduler.engine;

import dev.framecast.scheduler.job.LatentCheckpoint;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Where finished clips are kept for their tenant. Called on worker threads. */
public interface ClipStore {
  void put(String tenant, String jobId, byte[] clip) throws IOException;

  Optional<byte[]> get(String tenant, String jobId) throws IOException;

  /** What a finished job has to download, by the name the Videos API gives it ({@code variant}). */
  enum Asset {
    VIDEO("video/mp4"),
    THUMBNAIL("image/png"),
    SPRITESHEET("image/png");

    private final String contentType;

    Asset(String contentType) {
      this.contentType = contentType;
    }

    public String contentType() {
      return contentType;
    }

    /** "video", "thumbnail", "spritesheet". */
    public String variant() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The asset a variant names (empty: the video); empty when none is called that. */
    public static Optional<Asset> ofVariant(String variant) {
      if (variant.isEmpty()) {
        return Optional.of(VIDEO);
      }
      for (Asset asset : values()) {
        if (asset.variant().equals(variant)) {
          return Optional.of(asset);
        }
      }
      return Optional.empty();
    }
  }

  /** A stored asset: its size and entity tag, and its bytes read a range at a time. */
  interface Blob {
    long size();

    /** A strong entity tag, quoted ({@code "..."}): the same bytes keep the same tag. */
    String etag();

    /** {@code length} bytes from {@code offset} (both within the size), streamed. */
    InputStream open(long offset, long length) throws IOException;

    /** A blob held in memory (tagged by its SHA-256). */
    static Blob of(byte[] bytes) {
      String tag;
      try {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
        tag = "\"" + HexFormat.of().formatHex(digest, 0, 16) + "\"";
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
      return new Blob() {
        @Override
        public long size() {
          return bytes.length;
        }

        @Override
        public String etag() {
          return tag;
        }

        @Override
        public InputStream open(long offset, long length) {
          return new ByteArrayInputStream(bytes, (int) offset, (int) length);
        }
      };
    }
  }

  /** Keeps a finished job's thumbnail or sprite sheet beside its clip (the clip: {@link #put}). */
  default void putAsset(String tenant, String jobId, Asset asset, byte[] bytes) throws IOException {
    if (asset == Asset.VIDEO) {
      put(tenant, jobId, bytes);
    }
  }

  /** One of the job's assets; empty when it has none (none made, expired or deleted). */
  default Optional<Blob> open(String tenant, String jobId, Asset asset) throws IOException {
    return asset == Asset.VIDEO ? get(tenant, jobId).map(Blob::of) : Optional.empty();
  }

  /** Forgets everything kept for the job: clip, images, frames, checkpoint. */
  default void delete(String tenant, String jobId) throws IOException {}

  /** How long a finished job's files are kept; empty when they are not removed by age. */
  default Optional<Duration> retention() {
    return Optional.empty();
  }

  /** Keeps a finished job's frame PNGs beside its clip (for a replay from the job store). */
  default void putFrames(String tenant, String jobId, List<byte[]> pngs) throws IOException {}

  /** The frame PNGs kept for the job, in order. */
  default Optional<List<byte[]>> frames(String tenant, String jobId) throws IOException {
    return Optional.empty();
  }

  /** Keeps a running job's latest latent checkpoint (replacing the one before). */
  default void putCheckpoint(String tenant, String jobId, LatentCheckpoint checkpoint)
      throws IOException {}

  /** The job's latest checkpoint; empty when there is none (or a damaged one). */
  default Optional<LatentCheckpoint> checkpoint(String tenant, String jobId) throws IOException {
    return Optional.empty();
  }

  /** Forgets the job's checkpoint (it ended). */
  default void deleteCheckpoint(String tenant, String jobId) throws IOException {}
}
