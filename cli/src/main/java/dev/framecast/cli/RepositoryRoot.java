package dev.framecast.cli;

import java.nio.file.Path;
import java.util.Map;

/**
 * The Framecast checkout the CLI runs from, where demo and eval find the gateway's jar and the
 * model repository: {@code $FRAMECAST_ROOT} (set by the framecast script, which does not change
 * directory, so that {@code --out} is relative to where the user is), else the system property
 * {@code framecast.root} (tests), else the working directory.
 */
final class RepositoryRoot {
  static final String ENV = "FRAMECAST_ROOT";

  private RepositoryRoot() {}

  static Path find(Map<String, String> env) {
    String root = env.get(ENV);
    if (root == null || root.isBlank()) {
      root = System.getProperty("framecast.root", "");
    }
    return (root.isBlank() ? Path.of("") : Path.of(root)).toAbsolutePath().normalize();
  }

  static Path gatewayJar(Path root) {
    return root.resolve("gateway/target/quarkus-app/quarkus-run.jar");
  }

  static Path modelRepository(Path root) {
    return root.resolve("triton-models");
  }
}
