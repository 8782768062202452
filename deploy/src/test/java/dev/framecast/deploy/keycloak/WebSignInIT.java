package dev.framecast.deploy.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway's web page signs a demo user in on Keycloak's login page and generates a clip, in a
 * real Chromium: {@code gateway/src/test/browser/keycloak.test.mjs} (Node, playwright-core, the
 * system Chromium) against the shared platform. Without Node, the test's {@code node_modules} or
 * Chromium it is skipped, saying what is missing; in CI ({@code FRAMECAST_CI} set, where {@code
 * .ci/run} installs them first) it fails instead.
 */
@ExtendWith(PlatformExtension.class)
class WebSignInIT {
  /** The browser test's own limits (180 s for the generation) fit well inside this. */
  static final Duration BROWSER_TEST = Duration.ofMinutes(5);

  static final String WEB_CLIENT = "framecast-web";

  @Test
  void aDemoUserSignsInOnKeycloaksLoginPageAndGeneratesAClip(Platform platform) {
    Path browserTest = platform.root.resolve("gateway/src/test/browser");
    Path node = requireBrowserTest(browserTest);

    // The realm lets the page live at http://localhost:8080 and on loopback; this gateway has a
    // free port, so it is allowed like an operator allows a gateway's public URL. The page is
    // opened on 127.0.0.1 so that its origin and redirect URI are exactly these.
    String origin = "http://127.0.0.1:" + platform.gatewayPort;
    platform.keycloakAdmin.allowWebPage(Keycloak.REALM, WEB_CLIENT, origin);

    Path screenshots = platform.logs.resolve("browser-keycloak");
    deleteDirectory(screenshots); // a failure's screenshot from an earlier run would mislead
    ManagedProcess test =
        ManagedProcess.start(
            "browser-keycloak",
            List.of(node.toString(), "keycloak.test.mjs"),
            browserTest,
            Map.of(
                "FRAMECAST_URL", origin + "/",
                "KC_USER", "alice",
                "KC_PASSWORD", "alice-demo-password",
                "KC_TENANT", "acme",
                "STEPS", "4",
                "SCREENSHOT_DIR", screenshots.toString()),
            platform.logs);
    try {
      OptionalInt exit = test.awaitExit(BROWSER_TEST);
      String output = test.logTail(200);
      System.out.println("----- " + test + " -----\n" + output);
      assertThat(exit)
          .as(
              "exit status of keycloak.test.mjs (output above and in %s; screenshot on failure in"
                  + " %s)",
              test.log(), screenshots)
          .hasValue(0);
    } finally {
      test.close();
    }
  }

  /** Node, with the browser test's dependencies and Chromium, or skip (fail in CI). */
  private static Path requireBrowserTest(Path browserTest) {
    List<String> missing = new ArrayList<>();
    Optional<Path> node = onPath("node");
    if (node.isEmpty()) {
      missing.add("node (Node.js 20+) on the PATH");
    }
    if (!Files.isDirectory(browserTest.resolve("node_modules/playwright-core"))) {
      missing.add(browserTest.resolve("node_modules") + ": run (cd " + browserTest + " && npm ci)");
    }
    String chromium = Optional.ofNullable(System.getenv("CHROMIUM")).orElse("/usr/bin/chromium");
    if (!Files.isExecutable(Path.of(chromium))) {
      missing.add(chromium + " (Debian's chromium package, or set CHROMIUM)");
    }
    if (!missing.isEmpty()) {
      String why = "the web sign-in browser test needs " + String.join("; ", missing);
      if (System.getenv("FRAMECAST_CI") != null) {
        throw new IllegalStateException(why);
      }
      assumeTrue(false, why);
    }
    return node.orElseThrow();
  }

  private static void deleteDirectory(Path dir) {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (var files = Files.walk(dir)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clear " + dir, e);
    }
  }

  private static Optional<Path> onPath(String command) {
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return Optional.of(Path.of(dir, command));
      }
    }
    return Optional.empty();
  }
}
