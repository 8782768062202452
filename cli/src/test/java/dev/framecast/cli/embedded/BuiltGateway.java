package dev.framecast.cli.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The gateway's fast-jar the reactor builds before this module, for tests that start it as demo
 * does. Skipped without it on a developer's machine; in CI (FRAMECAST_CI set) a missing jar fails
 * the build instead of passing silently.
 */
final class BuiltGateway {
  static final Path ROOT =
      Path.of(System.getProperty("framecast.root", "..")).toAbsolutePath().normalize();
  static final Path JAR = ROOT.resolve("gateway/target/quarkus-app/quarkus-run.jar");

  private BuiltGateway() {}

  /** How demo starts it: the repository's models, quiet, the default ready timeout. */
  static EmbeddedGateway.Options options() {
    return new EmbeddedGateway.Options(
        JAR, ROOT.resolve("triton-models"), false, EmbeddedGateway.DEFAULT_READY_TIMEOUT);
  }

  static void require() {
    if (System.getenv("FRAMECAST_CI") == null) {
      assumeTrue(Files.isRegularFile(JAR), JAR + " is not built (./mvnw -pl gateway -am install)");
    } else {
      assertThat(JAR).as("the gateway must be built before cli in CI").isRegularFile();
    }
  }
}
