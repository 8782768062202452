package dev.framecast.deploy.manifests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The repository the tests run in: its files, YAML documents and versions. */
final class Repo {
  /** Surefire runs in deploy/; the repository root is its parent. */
  static final Path ROOT = findRoot();

  private Repo() {}

  private static Path findRoot() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("mvnw")) && Files.isDirectory(p.resolve("deploy"))) {
        return p;
      }
    }
    throw new IllegalStateException("no repository root (mvnw + deploy/) above " + dir);
  }

  static Path path(String relative) {
    return ROOT.resolve(relative);
  }

  static String read(String relative) {
    return read(path(relative));
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every document of a (multi-document) YAML text, empty documents left out. */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> yamlDocuments(String text) {
    List<Map<String, Object>> docs = new ArrayList<>();
    for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(text)) {
      if (doc != null) {
        docs.add((Map<String, Object>) doc);
      }
    }
    return docs;
  }

  static Map<String, Object> yaml(String relative) {
    List<Map<String, Object>> docs = yamlDocuments(read(relative));
    if (docs.size() != 1) {
      throw new IllegalStateException(
          relative + ": expected one YAML document, got " + docs.size());
    }
    return docs.get(0);
  }

  /** Files under a directory whose names end with the suffix, sorted. */
  static List<Path> files(String directory, String suffix) {
    try (Stream<Path> walk = Files.walk(path(directory))) {
      return walk.filter(Files::isRegularFile)
          .filter(p -> p.getFileName().toString().endsWith(suffix))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The project version of the parent pom, e.g. 0.1.0-SNAPSHOT. */
  static String projectVersion() {
    return firstGroup(
        read("pom.xml"), "<artifactId>framecast-parent</artifactId>\\s*<version>([^<]+)</version>");
  }

  /** The version images are tagged with: the project version without -SNAPSHOT. */
  static String imageVersion() {
    return projectVersion().replace("-SNAPSHOT", "");
  }

  /** deploy/pom.xml's keycloak.version, the Keycloak the integration test runs. */
  static String keycloakVersion() {
    return firstGroup(read("deploy/pom.xml"), "<keycloak\\.version>([^<]+)</keycloak\\.version>");
  }

  /** A module's artifactId (its own, not the parent's). */
  static String artifactId(String module) {
    String pom = read(module + "/pom.xml").replaceAll("(?s)<parent>.*?</parent>", "");
    return firstGroup(pom, "<artifactId>([^<]+)</artifactId>");
  }

  static String firstGroup(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    if (!m.find()) {
      throw new IllegalStateException("no match for " + regex);
    }
    return m.group(1).trim();
  }
}
