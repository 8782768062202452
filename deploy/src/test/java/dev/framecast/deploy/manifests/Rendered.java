package dev.framecast.deploy.manifests;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The Kubernetes objects of an overlay as kustomize renders them: {@code kubectl kustomize} run
 * here when kubectl is on the PATH, else deploy/target/rendered/&lt;overlay&gt;.yaml as
 * .ci/deploy-checks wrote it (refused when deploy/k8s changed since). With neither, the test fails
 * in CI (FRAMECAST_CI set) and is skipped elsewhere, saying how to get kubectl.
 */
final class Rendered {
  static final List<String> OVERLAYS = List.of("gpu", "cpu-only");

  private static final Map<String, K8s> CACHE = new ConcurrentHashMap<>();

  private Rendered() {}

  static K8s overlay(String name) {
    return CACHE.computeIfAbsent(name, Rendered::render);
  }

  private static K8s render(String name) {
    Path dir = Repo.path("deploy/k8s/overlays/" + name);
    if (onPath("kubectl")) {
      return new K8s(Repo.yamlDocuments(kustomize(dir)));
    }
    Path file = Repo.path("deploy/target/rendered/" + name + ".yaml");
    if (Files.isRegularFile(file)) {
      Path newer = newestSource();
      if (modified(newer).compareTo(modified(file)) > 0) {
        throw new IllegalStateException(
            file + " is older than " + newer + ": run .ci/deploy-checks again");
      }
      return new K8s(Repo.yamlDocuments(Repo.read(file)));
    }
    String why =
        "neither kubectl nor "
            + file
            + " exists: run .ci/deploy-checks (it installs kubectl from Debian's packages)";
    if (System.getenv("FRAMECAST_CI") != null) {
      throw new IllegalStateException(why);
    }
    assumeTrue(false, why);
    throw new AssertionError("unreachable");
  }

  private static String kustomize(Path dir) {
    try {
      // stderr to a file: newer kubectl warns there that `bases` is deprecated.
      Path errors = Files.createTempFile("kustomize", ".err");
      try {
        Process process =
            new ProcessBuilder("kubectl", "kustomize", dir.toString())
                .redirectError(errors.toFile())
                .start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          throw new IllegalStateException("kubectl kustomize " + dir + " did not finish in 120 s");
        }
        if (process.exitValue() != 0) {
          throw new IllegalStateException(
              "kubectl kustomize " + dir + " failed: " + Files.readString(errors));
        }
        return new String(out, StandardCharsets.UTF_8);
      } finally {
        Files.deleteIfExists(errors);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static boolean onPath(String command) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    return Stream.of(path.split(java.io.File.pathSeparator))
        .filter(s -> !s.isEmpty())
        .map(s -> Path.of(s, command))
        .anyMatch(Files::isExecutable);
  }

  private static Path newestSource() {
    try (Stream<Path> files = Files.walk(Repo.path("deploy/k8s"))) {
      return files
          .filter(Files::isRegularFile)
          .max((a, b) -> modified(a).compareTo(modified(b)))
          .orElseThrow();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static FileTime modified(Path file) {
    try {
      return Files.getLastModifiedTime(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
