package dev.framecast.deploy.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.deploy.manifests.Dockerfile.Stage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The container files in deploy/docker (they cannot be built here: no Docker daemon): pinned base
 * images, a non-root user, the files the Maven build produces, the Main classes and options that
 * exist, and the ports the manifests use.
 */
class ContainerFilesTest {
  private static final String BUILD_DIR = "/src/";

  @Test
  void everyImageOfTheManifestsHasAContainerFileAndEveryContainerFileAnImage() {
    Set<String> files = new TreeSet<>();
    for (Path p : Repo.files("deploy/docker", ".Dockerfile")) {
      files.add(p.getFileName().toString().replace(".Dockerfile", ""));
      assertThat(Path.of(p + ".dockerignore"))
          .as("BuildKit's per-file ignore list")
          .isRegularFile();
    }
    assertThat(files)
        .containsExactlyInAnyOrder("gateway", "scheduler", "inference-node", "triton-models");
    Set<String> used = new TreeSet<>();
    for (Map<String, Object> container : rawContainers()) {
      String ours = Images.ourName(Tree.str(container, "image"));
      if (ours != null) {
        used.add(ours);
      }
    }
    assertThat(used).isEqualTo(files);
  }

  @ParameterizedTest
  @ValueSource(strings = {"gateway", "scheduler", "inference-node"})
  void javaImagesBuildWithTheWrapperOnJdk17AndRunOnAJre17AsNonRoot(String name) {
    Dockerfile file = new Dockerfile(name);
    assertThat(file.stages).hasSize(2);
    Stage build = file.stage("build");
    Stage run = file.last();
    for (Stage stage : file.stages) {
      assertThat(Images.pinned(stage.image())).as("%s: %s", name, stage.image()).isTrue();
    }
    assertThat(build.image()).matches("eclipse-temurin:17\\.[0-9._]+-jdk-\\w+");
    assertThat(run.image()).matches("eclipse-temurin:17\\.[0-9._]+-jre-\\w+");
    assertThat(Images.tag(run.image()).replace("-jre-", "-"))
        .as("same JDK release in both stages")
        .isEqualTo(Images.tag(build.image()).replace("-jdk-", "-"));
    assertThat(build.last("WORKDIR") + "/").isEqualTo(BUILD_DIR);
    String maven = String.join(" ", build.all("RUN"));
    assertThat(maven).contains("./mvnw ").contains("-pl " + name + " -am ").contains("-DskipTests");
    assertThat(Repo.path(name + "/pom.xml")).isRegularFile();
    String user = run.last("USER");
    assertThat(user).isNotNull();
    assertThat(user.split(":")[0]).isNotIn("root", "0");
    assertThat(Repo.read("deploy/docker/" + name + ".Dockerfile.dockerignore"))
        .contains("**/target");
  }

  @Test
  void gatewayImageCopiesTheQuarkusFastJar() {
    Dockerfile file = new Dockerfile("gateway");
    List<String> copied = copiedFromBuild(file);
    String app = "gateway/target/quarkus-app/";
    assertThat(copied)
        .containsExactlyInAnyOrder(
            app + "lib/", app + "quarkus-run.jar", app + "app/", app + "quarkus/");
    // The fast-jar is Quarkus' default package type; nothing in the gateway changes it.
    assertThat(Repo.read("gateway/pom.xml"))
        .contains("<artifactId>quarkus-maven-plugin</artifactId>");
    assertThat(Repo.read("gateway/src/main/resources/application.properties"))
        .doesNotContain("quarkus.package.jar.type");
    Path built = Repo.path(app);
    if (Files.isDirectory(built)) {
      for (String path : copied) {
        assertThat(Repo.path(path)).as("the build produces %s", path).exists();
      }
    }
    List<String> entrypoint = Dockerfile.execForm(file.last().last("ENTRYPOINT"));
    assertThat(entrypoint.subList(entrypoint.size() - 2, entrypoint.size()))
        .containsExactly("-jar", "/app/quarkus-run.jar");
    assertThat(file.exposed()).containsExactlyInAnyOrderElementsOf(manifestPorts("gateway"));
    assertThat(healthcheckPort(file)).isIn(file.exposed());
  }

  @ParameterizedTest
  @ValueSource(strings = {"scheduler", "inference-node"})
  void moduleImagesCopyTheJarAndItsRuntimeClassPathAndRunTheirMain(String name) {
    Dockerfile file = new Dockerfile(name);
    String run = String.join(" ", file.stage("build").all("RUN"));
    String artifactId = Repo.artifactId(name);
    String jarGlob = name + "/target/" + artifactId + "-*.jar";
    assertThat(run)
        .contains("dependency:copy-dependencies")
        .contains("-DincludeScope=runtime")
        .contains("cp " + jarGlob + " /out/" + name + ".jar")
        .contains("cp -R " + name + "/target/lib /out/lib");
    Path target = Repo.path(name + "/target");
    if (Files.isDirectory(target)) {
      try (var jars = Files.list(target)) {
        List<Path> matching =
            jars.filter(
                    p ->
                        p.getFileName().toString().matches(Pattern.quote(artifactId) + "-.*\\.jar"))
                .toList();
        assertThat(matching).as("%s matches one jar of the build", jarGlob).hasSize(1);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    assertThat(copiedFromBuild(file))
        .containsExactlyInAnyOrder("/out/lib/", "/out/" + name + ".jar");

    List<String> entrypoint = Dockerfile.execForm(file.last().last("ENTRYPOINT"));
    String mainClass = entrypoint.get(entrypoint.size() - 1);
    assertThat(Repo.path(name + "/src/main/java/" + mainClass.replace('.', '/') + ".java"))
        .isRegularFile();
    String classPath = entrypoint.get(entrypoint.indexOf("-cp") + 1);
    assertThat(classPath).isEqualTo("/app/" + name + ".jar:/app/lib/*");

    String main = name.equals("scheduler") ? Apps.SCHEDULER_MAIN : Apps.NODE_MAIN;
    Map<String, List<String>> cmd = Apps.options(Dockerfile.execForm(file.last().last("CMD")));
    assertThat(Apps.flags(main)).containsAll(cmd.keySet());
    List<Integer> cmdPorts = new ArrayList<>();
    cmdPorts.add(Integer.parseInt(cmd.get("--port").get(0)));
    cmdPorts.add(Integer.parseInt(cmd.get("--metrics-port").get(0)));
    assertThat(file.exposed()).containsExactlyInAnyOrderElementsOf(cmdPorts);
    assertThat(file.exposed()).containsExactlyInAnyOrderElementsOf(manifestPorts(name));
    assertThat(healthcheckPort(file)).isIn(file.exposed());
  }

  @Test
  void modelImageHoldsExactlyTheRepositorysModels() {
    Dockerfile file = new Dockerfile("triton-models");
    assertThat(Images.pinned(file.last().image())).isTrue();
    Set<String> copied = new TreeSet<>();
    for (String copy : file.last().all("COPY")) {
      Matcher m = Pattern.compile("^triton-models/(\\w+) /models/(\\w+)$").matcher(copy);
      assertThat(m.matches()).as(copy).isTrue();
      assertThat(m.group(1)).isEqualTo(m.group(2));
      copied.add(m.group(1));
    }
    assertThat(copied).isEqualTo(Apps.models());
    String ignore = Repo.read("deploy/docker/triton-models.Dockerfile.dockerignore");
    for (String model : Apps.models()) {
      assertThat(ignore).contains("!triton-models/" + model);
    }
    assertThat(file.last().last("USER")).isNotNull();
  }

  /** The sources of COPY --from=build, relative to the build stage's WORKDIR when under it. */
  private static List<String> copiedFromBuild(Dockerfile file) {
    List<String> sources = new ArrayList<>();
    for (String copy : file.last().all("COPY")) {
      if (!copy.startsWith("--from=build")) {
        continue;
      }
      String[] words = copy.split("\\s+");
      String source = words[words.length - 2];
      sources.add(source.startsWith(BUILD_DIR) ? source.substring(BUILD_DIR.length()) : source);
    }
    return sources;
  }

  private static int healthcheckPort(Dockerfile file) {
    String check = file.last().last("HEALTHCHECK");
    assertThat(check).as("%s has a HEALTHCHECK", file.name).isNotNull();
    return Integer.parseInt(Repo.firstGroup(check, "/dev/tcp/127\\.0\\.0\\.1/(\\d+)"));
  }

  /** Container ports of every container running ghcr.io/framecast/NAME in deploy/k8s. */
  private static Set<Integer> manifestPorts(String name) {
    Set<Integer> ports = new TreeSet<>();
    for (Map<String, Object> container : rawContainers()) {
      if (name.equals(Images.ourName(Tree.str(container, "image")))) {
        for (Map<String, Object> port : Tree.maps(container, "ports")) {
          ports.add(Integer.parseInt(Tree.str(port, "containerPort")));
        }
      }
    }
    assertThat(ports).as("%s runs in deploy/k8s", name).isNotEmpty();
    return ports;
  }

  /** Containers and init containers of the source files of deploy/k8s (no kustomize needed). */
  private static List<Map<String, Object>> rawContainers() {
    List<Map<String, Object>> containers = new ArrayList<>();
    for (Path file : Repo.files("deploy/k8s", ".yaml")) {
      if (file.getFileName().toString().equals("kustomization.yaml")
          || file.getParent().getFileName().toString().equals("tenants")) {
        continue;
      }
      for (Map<String, Object> doc : Repo.yamlDocuments(Repo.read(file))) {
        containers.addAll(Tree.maps(doc, "spec.template.spec.containers"));
        containers.addAll(Tree.maps(doc, "spec.template.spec.initContainers"));
      }
    }
    return containers;
  }
}
