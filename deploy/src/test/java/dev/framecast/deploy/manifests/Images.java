package dev.framecast.deploy.manifests;

/** Image references: registry/path:tag. */
final class Images {
  /** Framecast's own images (placeholder registry; see docs/operations.md). */
  static final String OURS = "ghcr.io/framecast/";

  private Images() {}

  /** The reference without its tag or digest. */
  static String repository(String image) {
    String noDigest = image.contains("@") ? image.substring(0, image.indexOf('@')) : image;
    int slash = noDigest.lastIndexOf('/');
    int colon = noDigest.lastIndexOf(':');
    return colon > slash ? noDigest.substring(0, colon) : noDigest;
  }

  /** The tag, or null when there is none. */
  static String tag(String image) {
    String noDigest = image.contains("@") ? image.substring(0, image.indexOf('@')) : image;
    int slash = noDigest.lastIndexOf('/');
    int colon = noDigest.lastIndexOf(':');
    return colon > slash ? noDigest.substring(colon + 1) : null;
  }

  /** A tag that names a release: present, not "latest", and with a digit in it. */
  static boolean pinned(String image) {
    String tag = tag(image);
    return tag != null && !tag.equals("latest") && tag.matches(".*\\d.*");
  }

  /** For ghcr.io/framecast/NAME: NAME (its container file is deploy/docker/NAME.Dockerfile). */
  static String ourName(String image) {
    String repository = repository(image);
    return repository.startsWith(OURS) ? repository.substring(OURS.length()) : null;
  }
}
