package dev.framecast.deploy.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.deploy.manifests.Apps.App;
import dev.framecast.deploy.manifests.Compose.Mount;
import dev.framecast.scheduler.tenant.TenantConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/compose/compose.yaml against the applications and the rest of deploy/: images, the
 * variables and options each service's application reads, the files it mounts and the paths it is
 * told to read, the addresses services use for each other, and the Prometheus scrape targets.
 */
class ComposeTest {
  private static final Pattern SECRET_LIKE =
      Pattern.compile(".*(PASSWORD|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY).*");

  private final Compose compose = new Compose();

  @Test
  void servicesAreTheEightOfASingleGpuHost() {
    assertThat(compose.services().keySet())
        .containsExactlyInAnyOrder(
            "triton",
            "scheduler",
            "postgres",
            "gateway",
            "keycloak",
            "keycloak-postgres",
            "prometheus",
            "grafana");
    assertThat(compose.root().get("name")).isEqualTo("framecast");
    for (String service : compose.services().keySet()) {
      for (Object dependency : dependsOn(service).keySet()) {
        assertThat(compose.services()).containsKey(dependency.toString());
        if ("service_healthy".equals(Tree.str(dependsOn(service), dependency + ".condition"))) {
          assertThat(hasHealthcheck(dependency.toString()))
              .as("%s waits for %s to be healthy: it needs a healthcheck", service, dependency)
              .isTrue();
        }
      }
    }
    Object volumes = compose.root().get("volumes");
    for (String service : compose.services().keySet()) {
      for (Mount m : compose.mounts(service)) {
        if (!m.bind()) {
          assertThat(Tree.map(compose.root(), "volumes")).as("%s", volumes).containsKey(m.source());
        }
      }
    }
  }

  @Test
  void imagesArePinnedOursAreBuiltFromDeployDockerAndMatchKubernetes() {
    for (String service : compose.services().keySet()) {
      String image = compose.image(service);
      assertThat(Images.pinned(image)).as("%s: %s", service, image).isTrue();
      String ours = Images.ourName(image);
      if (ours != null) {
        assertThat(Images.tag(image)).isEqualTo(Repo.imageVersion());
        Path context =
            Repo.path("deploy/compose")
                .resolve(Tree.str(compose.service(service), "build.context"));
        assertThat(context.normalize()).isEqualTo(Repo.ROOT.normalize());
        assertThat(Tree.str(compose.service(service), "build.dockerfile"))
            .isEqualTo("deploy/docker/" + ours + ".Dockerfile");
        assertThat(Repo.path("deploy/docker/" + ours + ".Dockerfile")).isRegularFile();
      }
    }
    assertThat(Images.tag(compose.image("keycloak")))
        .as("the Keycloak the integration test runs (deploy/pom.xml keycloak.version)")
        .isEqualTo(Repo.keycloakVersion());
    String tritonInKubernetes =
        Repo.firstGroup(
            Repo.read("deploy/k8s/overlays/gpu/triton.yaml"), "image: (nvcr\\.io/\\S+)");
    assertThat(compose.image("triton")).isEqualTo(tritonInKubernetes);
  }

  @Test
  void everyEnvironmentVariableIsOneTheApplicationReadsAndSecretsAreNotInlined() {
    for (String service : compose.services().keySet()) {
      App app = Apps.forImage(compose.image(service));
      Set<String> known = Apps.env(app);
      assertThat(compose.environment(service).keySet())
          .as("%s (%s) reads them", service, app)
          .isSubsetOf(known);
      compose
          .rawEnvironment(service)
          .forEach(
              (name, value) -> {
                if (SECRET_LIKE.matcher(name).matches()) {
                  assertThat(value)
                      .as("%s: %s comes from the operator's .env, with no default", service, name)
                      .matches("\\$\\{\\w+(:?\\?[^}]*)?}");
                }
              });
    }
  }

  @Test
  void tritonServesTheMountedRepositoryWithTheModelsLoadedExplicitly() {
    List<String> command = compose.command("triton");
    assertThat(command.get(0)).isEqualTo("tritonserver");
    Map<String, List<String>> options = Apps.equalsOptions(command);
    assertThat(options.get("--model-control-mode")).containsExactly("explicit");
    assertThat(Set.copyOf(options.get("--load-model"))).isEqualTo(Apps.models());
    String repository = options.get("--model-repository").get(0);
    Mount mount = compose.mountOf("triton", repository);
    assertThat(mount.target()).isEqualTo(repository);
    assertThat(hostPath(mount).resolve("dit/config.pbtxt")).isRegularFile();
    assertThat(hostPath(mount).normalize()).isEqualTo(Repo.path("triton-models").normalize());
    assertThat(Tree.list(compose.service("triton"), "deploy.resources.reservations.devices"))
        .isNotEmpty();
  }

  @Test
  void schedulerOptionsAreItsOwnAndPointAtTritonTenantsAndClips() {
    Map<String, List<String>> options = Apps.options(compose.command("scheduler"));
    assertThat(Apps.flags(Apps.SCHEDULER_MAIN)).containsAll(options.keySet());
    for (String node : options.get("--nodes").get(0).split(",")) {
      String[] hostPort = node.split(":");
      assertThat(listens(hostPort[0]))
          .as("%s listens on %s", hostPort[0], hostPort[1])
          .containsEntry(Integer.parseInt(hostPort[1]), "grpc");
    }
    String tenants = options.get("--tenants").get(0);
    Mount mount = compose.mountOf("scheduler", tenants);
    Path file = hostPath(mount).resolve(tenants.substring(mount.target().length() + 1));
    assertThat(file).isRegularFile();
    TenantConfig config = TenantConfig.parse(Repo.read(file), file.toString());
    assertThat(config.tenants()).containsAll(new Realm().tenants());
    assertThat(mount.bind() && Files.isDirectory(hostPath(mount)))
        .as("a directory mount, so edits reach the container")
        .isTrue();
    assertThat(compose.mountOf("scheduler", options.get("--clips").get(0)).bind()).isFalse();
  }

  @Test
  void gatewayRunsDistributedAgainstTheSchedulerAndKeycloaksRealm() {
    Map<String, String> env = compose.environment("gateway");
    assertThat(env.get("FRAMECAST_MODE")).isEqualTo("distributed");
    String[] scheduler = env.get("FRAMECAST_DISTRIBUTED_SCHEDULER").split(":");
    assertThat(listens(scheduler[0])).containsEntry(Integer.parseInt(scheduler[1]), "grpc");
    int httpPort =
        Integer.parseInt(
            Repo.firstGroup(
                Repo.read("gateway/src/main/resources/application.properties"),
                "(?m)^quarkus\\.http\\.port=(\\d+)"));
    assertThat(compose.publishedTargets("gateway")).containsExactly(httpPort);

    Realm realm = new Realm();
    assertThat(realm.name()).isEqualTo("framecast");
    assertThat(env.get("FRAMECAST_OIDC_ISSUER")).endsWith("/realms/" + realm.name());
    // The issuer is what Keycloak writes into tokens: its configured public URL.
    assertThat(env.get("FRAMECAST_OIDC_ISSUER"))
        .isEqualTo(compose.environment("keycloak").get("KC_HOSTNAME") + "/realms/" + realm.name());
    URI jwks = URI.create(env.get("FRAMECAST_OIDC_JWKS_URL"));
    assertThat(listens(jwks.getHost())).containsEntry(jwks.getPort(), "http");
    assertThat(jwks.getPath())
        .isEqualTo("/realms/" + realm.name() + "/protocol/openid-connect/certs");
    assertThat(env.get("FRAMECAST_OIDC_AUDIENCE")).isNotBlank();
  }

  @Test
  void keycloakRunsInProductionModeWithItsDatabaseAndTheTeamsSecretsFromTheEnvFile() {
    List<String> command = compose.command("keycloak");
    assertThat(command.get(0)).isEqualTo("start");
    Map<String, String> env = compose.environment("keycloak");
    assertThat(env).containsEntry("KC_DB", "postgres");
    String database = env.get("KC_DB_URL").replaceFirst("^jdbc:postgresql://", "").split("[:/]")[0];
    assertThat(Apps.forImage(compose.image(database))).isEqualTo(App.POSTGRES);
    assertThat(compose.environment(database))
        .containsEntry("POSTGRES_USER", env.get("KC_DB_USERNAME"));
    assertThat(compose.rawEnvironment(database).get("POSTGRES_PASSWORD"))
        .isEqualTo(compose.rawEnvironment("keycloak").get("KC_DB_PASSWORD"));
    // Every placeholder of the realm file is set from .env, so no demo secret is imported.
    assertThat(Realm.placeholders()).isNotEmpty();
    Map<String, String> raw = compose.rawEnvironment("keycloak");
    String example = Repo.read("deploy/compose/env.example");
    for (String placeholder : Realm.placeholders()) {
      assertThat(raw.get(placeholder))
          .as("%s from .env, required", placeholder)
          .startsWith("${" + placeholder + ":?");
      assertThat(example).contains("\n" + placeholder + "=");
    }
    assertThat(Repo.read(Realm.FILE)).doesNotContain("\"secret\": \"acme-demo-secret\"");
  }

  @Test
  void keycloakImportsTheRealmFile() {
    assertThat(compose.command("keycloak")).contains("--import-realm");
    Mount realm =
        compose.mounts("keycloak").stream()
            .filter(m -> m.target().startsWith("/opt/keycloak/data/import/"))
            .findFirst()
            .orElseThrow();
    assertThat(hostPath(realm).normalize()).isEqualTo(Repo.path(Realm.FILE).normalize());
    assertThat(hostPath(realm)).isRegularFile();
  }

  @Test
  void prometheusScrapesEveryApplicationOnItsMetricsPortAndPath() {
    Mount config = compose.mountOf("prometheus", "/etc/prometheus/prometheus.yml");
    assertThat(hostPath(config).normalize()).isEqualTo(Repo.path("deploy/prometheus").normalize());
    assertThat(compose.command("prometheus"))
        .contains("--config.file=/etc/prometheus/prometheus.yml");
    Set<String> scraped = new HashSet<>();
    for (Map<String, Object> job :
        Tree.maps(Repo.yaml("deploy/prometheus/prometheus.yml"), "scrape_configs")) {
      String path =
          Tree.str(job, "metrics_path") == null ? "/metrics" : Tree.str(job, "metrics_path");
      for (Map<String, Object> group : Tree.maps(job, "static_configs")) {
        for (Object target : Tree.list(group, "targets")) {
          String[] hostPort = target.toString().split(":");
          App app = Apps.forImage(compose.image(hostPort[0]));
          assertThat(listens(hostPort[0]))
              .as("%s (job %s) serves metrics on %s", hostPort[0], job.get("job_name"), hostPort[1])
              .containsEntry(
                  Integer.parseInt(hostPort[1]), app == App.GATEWAY ? "management" : "metrics");
          assertThat(path).isEqualTo(app == App.GATEWAY ? "/q/metrics" : "/metrics");
          scraped.add(hostPort[0]);
        }
      }
    }
    assertThat(scraped).containsExactlyInAnyOrder("gateway", "scheduler", "triton");
  }

  @Test
  void grafanaIsProvisionedWithThePrometheusServiceAndTheDashboards() {
    Mount provisioning = compose.mountOf("grafana", "/etc/grafana/provisioning");
    assertThat(hostPath(provisioning).normalize())
        .isEqualTo(Repo.path("deploy/grafana/provisioning").normalize());
    Map<String, Object> datasource =
        Tree.maps(
                Repo.yaml("deploy/grafana/provisioning/datasources/prometheus.yml"), "datasources")
            .get(0);
    URI url = URI.create(Tree.str(datasource, "url"));
    assertThat(Apps.forImage(compose.image(url.getHost()))).isEqualTo(App.PROMETHEUS);
    assertThat(listens(url.getHost())).containsKey(url.getPort());
    String dashboards =
        Tree.str(
            Tree.maps(
                    Repo.yaml("deploy/grafana/provisioning/dashboards/framecast.yml"), "providers")
                .get(0),
            "options.path");
    Mount mount = compose.mountOf("grafana", dashboards);
    assertThat(mount.target()).isEqualTo(dashboards);
    assertThat(hostPath(mount).resolve("framecast.json")).isRegularFile();
  }

  @Test
  void everyBindMountExists() {
    for (String service : compose.services().keySet()) {
      for (Mount m : compose.mounts(service)) {
        if (m.bind()) {
          assertThat(m.readOnly()).as("%s mounts %s read-only", service, m.source()).isTrue();
          if (m.source().equals("./certs")) {
            continue; // made by ./framecast certs before `up` (MutualTlsManifestsTest)
          }
          assertThat(Files.exists(hostPath(m))).as("%s mounts %s", service, m.source()).isTrue();
          assertThat(m.readOnly()).as("%s mounts %s read-only", service, m.source()).isTrue();
        }
      }
    }
  }

  /** The ports a service's application listens on, from its options or its vendor's defaults. */
  private Map<Integer, String> listens(String service) {
    Map<Integer, String> ports = new TreeMap<>();
    List<String> command = compose.command(service);
    switch (Apps.forImage(compose.image(service))) {
      case GATEWAY -> {
        Map<String, String> env = compose.environment(service);
        String port =
            env.getOrDefault(
                "QUARKUS_HTTP_PORT",
                Repo.firstGroup(
                    Repo.read("gateway/src/main/resources/application.properties"),
                    "(?m)^quarkus\\.http\\.port=(\\d+)"));
        ports.put(Integer.parseInt(port), "http");
        String management =
            env.getOrDefault(
                "QUARKUS_MANAGEMENT_PORT",
                Repo.firstGroup(
                    Repo.read("gateway/src/main/resources/application.properties"),
                    "(?m)^quarkus\\.management\\.port=(\\d+)"));
        ports.put(Integer.parseInt(management), "management");
      }
      case SCHEDULER -> {
        Map<String, List<String>> options = Apps.options(command);
        ports.put(Integer.parseInt(options.get("--port").get(0)), "grpc");
        ports.put(Integer.parseInt(options.get("--metrics-port").get(0)), "metrics");
      }
      case NODE -> {
        Map<String, List<String>> options = Apps.options(command);
        ports.put(Integer.parseInt(options.get("--port").get(0)), "grpc");
        ports.put(Integer.parseInt(options.get("--metrics-port").get(0)), "metrics");
      }
      case TRITON -> {
        Map<String, List<String>> options = Apps.equalsOptions(command);
        ports.put(Integer.parseInt(options.get("--http-port").get(0)), "http");
        ports.put(Integer.parseInt(options.get("--grpc-port").get(0)), "grpc");
        ports.put(Integer.parseInt(options.get("--metrics-port").get(0)), "metrics");
      }
      // The vendors' defaults (none of these commands changes them).
      case KEYCLOAK -> {
        ports.put(8080, "http");
        ports.put(9000, "management");
      }
      case PROMETHEUS -> ports.put(9090, "http");
      case GRAFANA -> ports.put(3000, "http");
      case MODELS -> {}
    }
    return ports;
  }

  private Map<String, Object> dependsOn(String service) {
    Object raw = Tree.at(compose.service(service), "depends_on");
    if (raw instanceof List<?> list) {
      Map<String, Object> map = new TreeMap<>();
      list.forEach(s -> map.put(s.toString(), Map.of("condition", "service_started")));
      return map;
    }
    return Tree.map(compose.service(service), "depends_on");
  }

  /** A healthcheck in compose, or a HEALTHCHECK in our image's container file. */
  private boolean hasHealthcheck(String service) {
    if (Tree.at(compose.service(service), "healthcheck") != null) {
      return true;
    }
    String ours = Images.ourName(compose.image(service));
    return ours != null
        && Repo.read("deploy/docker/" + ours + ".Dockerfile").contains("\nHEALTHCHECK ");
  }

  private static Path hostPath(Mount mount) {
    return Repo.path("deploy/compose").resolve(mount.source());
  }
}
