package dev.framecast.deploy.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.deploy.manifests.Apps.App;
import dev.framecast.deploy.manifests.K8s.Workload;
import dev.framecast.scheduler.tenant.TenantConfig;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Every container of each rendered overlay: a pinned image, probes on its own ports, resources, a
 * restricted security context, and only environment variables and options its application reads,
 * with ports, paths and addresses that agree with the rest of the overlay.
 */
class KubernetesContainersTest {
  static final List<String> OVERLAYS = Rendered.OVERLAYS;

  private static final Pattern SECRET_LIKE =
      Pattern.compile(".*(PASSWORD|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY).*");

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void imagesArePinnedAndOursCarryTheProjectVersion(String overlay) {
    for (Workload w : Rendered.overlay(overlay).workloads()) {
      for (Map<String, Object> c : w.allContainers()) {
        String image = Tree.str(c, "image");
        assertThat(Images.pinned(image)).as("%s: image %s has a release tag", w, image).isTrue();
        String ours = Images.ourName(image);
        if (ours != null) {
          assertThat(Images.tag(image)).isEqualTo(Repo.imageVersion());
          assertThat(Repo.path("deploy/docker/" + ours + ".Dockerfile")).isRegularFile();
        }
      }
    }
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void containersHaveProbesOnTheirOwnPortsAndResources(String overlay) {
    for (Workload w : Rendered.overlay(overlay).workloads()) {
      for (Map<String, Object> c : w.containers()) {
        for (String probe : List.of("readinessProbe", "livenessProbe")) {
          assertThat(Tree.map(c, probe)).as("%s: %s", w, probe).isNotEmpty();
        }
        for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
          Map<String, Object> p = Tree.map(c, probe);
          for (String kind : List.of("httpGet", "tcpSocket", "grpc")) {
            Object port = Tree.at(p, kind + ".port");
            if (port != null) {
              assertThat(w.port(port)).as("%s: %s port %s", w, probe, port).isPresent();
            }
          }
        }
      }
      for (Map<String, Object> c : w.allContainers()) {
        for (String bound : List.of("requests", "limits")) {
          for (String resource : List.of("cpu", "memory")) {
            assertThat(Tree.str(c, "resources." + bound + "." + resource))
                .as("%s container %s: resources.%s.%s", w, c.get("name"), bound, resource)
                .isNotNull();
          }
        }
        for (String resource : List.of("cpu", "memory")) {
          assertThat(
                  Quantity.parse(Tree.str(c, "resources.limits." + resource))
                      >= Quantity.parse(Tree.str(c, "resources.requests." + resource)))
              .as("%s: %s limit >= request", w, resource)
              .isTrue();
        }
      }
    }
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void podsMeetTheRestrictedPodSecurityStandard(String overlay) {
    for (Workload w : Rendered.overlay(overlay).workloads()) {
      Map<String, Object> pod = w.podSpec();
      assertThat(Tree.str(pod, "securityContext.runAsNonRoot")).as("%s", w).isEqualTo("true");
      assertThat(Tree.str(pod, "securityContext.seccompProfile.type")).isEqualTo("RuntimeDefault");
      assertThat(pod.get("hostNetwork")).isNotEqualTo(true);
      assertThat(Tree.str(pod, "automountServiceAccountToken")).isEqualTo("false");
      for (Map<String, Object> c : w.allContainers()) {
        assertThat(Tree.str(c, "securityContext.allowPrivilegeEscalation"))
            .as("%s %s", w, c.get("name"))
            .isEqualTo("false");
        assertThat(Tree.list(c, "securityContext.capabilities.drop")).containsExactly("ALL");
        assertThat(Tree.str(c, "securityContext.privileged")).isNotEqualTo("true");
      }
    }
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void everyEnvironmentVariableIsOneTheApplicationReads(String overlay) {
    for (Workload w : Rendered.overlay(overlay).workloads()) {
      for (Map<String, Object> c : w.allContainers()) {
        App app = Apps.forImage(Tree.str(c, "image"));
        Set<String> known = Apps.env(app);
        assertThat(Tree.list(c, "envFrom")).as("%s: envFrom hides names", w).isEmpty();
        for (Map<String, Object> env : Tree.maps(c, "env")) {
          String name = Tree.str(env, "name");
          assertThat(known).as("%s (%s) reads %s", w, app, name).contains(name);
          if (SECRET_LIKE.matcher(name).matches()) {
            assertThat(Tree.at(env, "valueFrom.secretKeyRef"))
                .as("%s: %s comes from a Secret", w, name)
                .isNotNull();
          }
        }
      }
    }
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void gatewayRunsDistributedAgainstTheSchedulerService(String overlay) {
    K8s k8s = Rendered.overlay(overlay);
    Workload gateway = k8s.workload("framecast-gateway");
    Map<String, Object> c = gateway.containers().get(0);
    assertThat(env(c, "FRAMECAST_MODE")).isEqualTo("distributed");
    assertThat(envNames(c)).contains("FRAMECAST_OIDC_ISSUER", "FRAMECAST_OIDC_AUDIENCE");
    // The gateway's HTTP/gRPC port is quarkus.http.port (application.properties) unless overridden.
    String port =
        envNames(c).contains("QUARKUS_HTTP_PORT")
            ? env(c, "QUARKUS_HTTP_PORT")
            : Repo.firstGroup(
                Repo.read("gateway/src/main/resources/application.properties"),
                "(?m)^quarkus\\.http\\.port=(\\d+)");
    assertThat(gateway.portNumber("http")).isEqualTo(Integer.parseInt(port));

    // dns:///SERVICE:PORT: every address of the headless Service (the leader and its standby).
    String target = env(c, "FRAMECAST_DISTRIBUTED_SCHEDULER");
    assertThat(target).matches("dns:///[a-z0-9-]+:\\d+");
    String[] address = target.substring("dns:///".length()).split(":");
    Map<String, Object> service = k8s.find("Service", address[0]).orElseThrow();
    assertThat(Tree.str(service, "spec.clusterIP")).isEqualTo("None");
    Map<String, Object> servicePort = servicePort(service, Integer.parseInt(address[1]));
    Workload scheduler = k8s.workload("framecast-scheduler");
    assertThat(k8s.backends(service)).containsExactly(scheduler);
    int targetPort = scheduler.portNumber(servicePort.get("targetPort"));
    assertThat(Apps.options(args(scheduler)).get("--port"))
        .containsExactly(String.valueOf(targetPort));
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void schedulerOptionsAreItsOwnAndPointAtTheNodesTenantsAndClips(String overlay) {
    K8s k8s = Rendered.overlay(overlay);
    Workload scheduler = k8s.workload("framecast-scheduler");
    Map<String, List<String>> options = Apps.options(args(scheduler));
    assertThat(Apps.flags(Apps.SCHEDULER_MAIN)).containsAll(options.keySet());
    assertThat(options.get("--port")).containsExactly(String.valueOf(scheduler.portNumber("grpc")));
    assertThat(options.get("--metrics-port"))
        .containsExactly(String.valueOf(scheduler.portNumber("metrics")));

    // Nodes: dns:SERVICE:PORT of the headless node Service, whose port reaches the nodes' gRPC.
    String nodes = options.get("--nodes").get(0);
    assertThat(nodes).matches("dns:[a-z0-9-]+:\\d+");
    String[] parts = nodes.split(":");
    Map<String, Object> service = k8s.find("Service", parts[1]).orElseThrow();
    assertThat(Tree.str(service, "spec.clusterIP")).isEqualTo("None");
    Map<String, Object> port = servicePort(service, Integer.parseInt(parts[2]));
    List<Workload> nodePods = k8s.backends(service);
    assertThat(nodePods).isNotEmpty();
    for (Workload node : nodePods) {
      assertThat(node.portNumber(port.get("targetPort"))).isEqualTo(Integer.parseInt(parts[2]));
    }

    // tenants.yaml: inside the mount of the framecast-tenants ConfigMap, under its key.
    String tenants = options.get("--tenants").get(0);
    Map<String, Object> mount = mountOf(scheduler, tenants);
    Map<String, Object> volume = volume(scheduler, (String) mount.get("name"));
    Map<String, Object> configMap =
        k8s.find("ConfigMap", Tree.str(volume, "configMap.name")).orElseThrow();
    String key = tenants.substring(((String) mount.get("mountPath")).length() + 1);
    assertThat(Tree.map(configMap, "data")).containsKey(key);
    assertThat(mount)
        .as("a directory mount, so updates reach the pod")
        .doesNotContainKey("subPath");

    // The job store: the PostgreSQL Service's port, the password from a Secret.
    String database = options.get("--database").get(0);
    java.util.regex.Matcher url =
        java.util.regex.Pattern.compile("jdbc:postgresql://([a-z0-9-]+):(\\d+)/(\\w+)")
            .matcher(database);
    assertThat(url.matches()).as("--database %s", database).isTrue();
    Map<String, Object> dbService = k8s.find("Service", url.group(1)).orElseThrow();
    Map<String, Object> dbPort = servicePort(dbService, Integer.parseInt(url.group(2)));
    Workload postgres = k8s.workload("framecast-postgres");
    assertThat(k8s.backends(dbService)).containsExactly(postgres);
    assertThat(postgres.portNumber(dbPort.get("targetPort"))).isEqualTo(5432);
    Map<String, Object> pg = postgres.containers().get(0);
    assertThat(env(pg, "POSTGRES_DB")).isEqualTo(url.group(3));
    assertThat(options.get("--database-user")).containsExactly(env(pg, "POSTGRES_USER"));
    Map<String, Object> schedulerContainer = scheduler.containers().get(0);
    assertThat(envNames(schedulerContainer)).contains("FRAMECAST_DATABASE_PASSWORD");
    assertThat(secretOf(schedulerContainer, "FRAMECAST_DATABASE_PASSWORD"))
        .as("the scheduler's and PostgreSQL's password are one Secret's key")
        .isEqualTo(secretOf(pg, "POSTGRES_PASSWORD"))
        .isNotNull();

    // Clips: on the persistent volume.
    Map<String, Object> clips = mountOf(scheduler, options.get("--clips").get(0));
    assertThat(
            Tree.str(
                volume(scheduler, (String) clips.get("name")), "persistentVolumeClaim.claimName"))
        .isNotNull();
  }

  /** "SECRET/KEY" of the environment variable {@code name}'s secretKeyRef, or null. */
  private static String secretOf(Map<String, Object> container, String name) {
    for (Map<String, Object> env : Tree.maps(container, "env")) {
      if (name.equals(env.get("name")) && Tree.at(env, "valueFrom.secretKeyRef") != null) {
        return Tree.str(env, "valueFrom.secretKeyRef.name")
            + "/"
            + Tree.str(env, "valueFrom.secretKeyRef.key");
      }
    }
    return null;
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void theTenantsConfigMapParsesWithTheSchedulersParserAndHasTheRealmsTeams(String overlay) {
    Map<String, Object> configMap =
        Rendered.overlay(overlay).find("ConfigMap", "framecast-tenants").orElseThrow();
    // The key has dots, so no dotted path.
    String yaml = (String) Tree.map(configMap, "data").get("tenants.yaml");
    TenantConfig config = TenantConfig.parse(yaml, "ConfigMap framecast-tenants");
    assertThat(config.tenants()).contains("acme", "globex");
  }

  @Test
  void gpuOverlayRunsTritonWithAGpuAndTheExplicitlyLoadedModels() {
    K8s k8s = Rendered.overlay("gpu");
    List<Workload> triton = k8s.running("nvcr.io/nvidia/tritonserver");
    assertThat(triton).hasSize(1);
    Workload w = triton.get(0);
    assertThat(k8s.running(Images.OURS + "inference-node")).isEmpty();
    Map<String, Object> c = w.containers().get(0);
    assertThat(Tree.map(c, "resources.limits").get("nvidia.com/gpu")).isEqualTo(1);
    assertThat(Tree.str(c, "readinessProbe.httpGet.path")).isEqualTo("/v2/health/ready");
    assertThat(w.portNumber(Tree.at(c, "readinessProbe.httpGet.port"))).isEqualTo(8000);

    List<String> args = Tree.list(c, "args").stream().map(Object::toString).toList();
    Map<String, List<String>> options = Apps.equalsOptions(args);
    assertThat(options.get("--model-control-mode")).containsExactly("explicit");
    assertThat(Set.copyOf(options.get("--load-model"))).isEqualTo(Apps.models());
    assertThat(options.get("--http-port")).containsExactly(String.valueOf(w.portNumber("http")));
    assertThat(options.get("--grpc-port")).containsExactly(String.valueOf(w.portNumber("grpc")));
    assertThat(options.get("--metrics-port"))
        .containsExactly(String.valueOf(w.portNumber("metrics")));
    assertModelRepositoryDelivered(w, options.get("--model-repository").get(0));

    for (Workload other : k8s.workloads()) {
      if (!other.name().equals(w.name())) {
        for (Map<String, Object> oc : other.allContainers()) {
          assertThat(Tree.map(oc, "resources.limits")).doesNotContainKey("nvidia.com/gpu");
        }
      }
    }
  }

  @Test
  void cpuOnlyOverlayRunsTheInferenceNodeInsteadWithNoGpu() {
    K8s k8s = Rendered.overlay("cpu-only");
    assertThat(k8s.running("nvcr.io/nvidia/tritonserver")).isEmpty();
    List<Workload> nodes = k8s.running(Images.OURS + "inference-node");
    assertThat(nodes).hasSize(1);
    Workload w = nodes.get(0);
    Map<String, List<String>> options = Apps.options(args(w));
    assertThat(Apps.flags(Apps.NODE_MAIN)).containsAll(options.keySet());
    assertThat(options.get("--port")).containsExactly(String.valueOf(w.portNumber("grpc")));
    assertThat(options.get("--metrics-port"))
        .containsExactly(String.valueOf(w.portNumber("metrics")));
    assertModelRepositoryDelivered(w, options.get("--model-repository").get(0));
    // The kubelet has no client certificate for the mutual-TLS gRPC port: the probes ask the
    // node's Triton-style HTTP health endpoint on its metrics port.
    for (String probe : List.of("readinessProbe", "startupProbe")) {
      assertThat(Tree.str(w.containers().get(0), probe + ".httpGet.path"))
          .isEqualTo("/v2/health/ready");
      assertThat(w.portNumber(Tree.at(w.containers().get(0), probe + ".httpGet.port")))
          .isEqualTo(w.portNumber("metrics"));
    }
    assertThat(
            Repo.read("inference-node/src/main/java/dev/framecast/node/metrics/NodeMetrics.java"))
        .contains("\"/v2/health/ready\"");
    assertThat(k8s.all().toString()).doesNotContain("nvidia.com/gpu");
  }

  @Test
  void bothOverlaysServeTheNodesUnderTheSameServiceAndPorts() {
    for (String name : List.of("framecast-node", "framecast-scheduler")) {
      assertThat(Rendered.overlay("gpu").find("Service", name))
          .isEqualTo(Rendered.overlay("cpu-only").find("Service", name));
    }
    Workload gpu = Rendered.overlay("gpu").workload("framecast-scheduler");
    Workload cpu = Rendered.overlay("cpu-only").workload("framecast-scheduler");
    assertThat(args(gpu)).isEqualTo(args(cpu));
  }

  /** The path is the mount of a volume that an init container fills from the models image. */
  private static void assertModelRepositoryDelivered(Workload w, String path) {
    Map<String, Object> mount = mountOf(w, path);
    assertThat(mount.get("mountPath")).isEqualTo(path);
    String volume = (String) mount.get("name");
    assertThat(w.initContainers())
        .anySatisfy(
            init -> {
              assertThat(Apps.forImage(Tree.str(init, "image"))).isEqualTo(App.MODELS);
              Map<String, Object> target =
                  Tree.maps(init, "volumeMounts").stream()
                      .filter(m -> volume.equals(m.get("name")))
                      .findFirst()
                      .orElseThrow();
              assertThat(
                      String.join(
                          " ", Tree.list(init, "command").stream().map(Object::toString).toList()))
                  .contains(target.get("mountPath") + "/");
            });
  }

  static List<String> args(Workload w) {
    return Tree.list(w.containers().get(0), "args").stream().map(Object::toString).toList();
  }

  private static Set<String> envNames(Map<String, Object> container) {
    return Set.copyOf(Tree.maps(container, "env").stream().map(e -> Tree.str(e, "name")).toList());
  }

  private static String env(Map<String, Object> container, String name) {
    return Tree.maps(container, "env").stream()
        .filter(e -> name.equals(e.get("name")))
        .map(e -> Tree.str(e, "value"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no env " + name));
  }

  private static Map<String, Object> servicePort(Map<String, Object> service, int port) {
    return Tree.maps(service, "spec.ports").stream()
        .filter(p -> String.valueOf(port).equals(Tree.str(p, "port")))
        .findFirst()
        .orElseThrow(() -> new AssertionError(K8s.name(service) + " has no port " + port));
  }

  /** The container mount that holds the path (the longest mount path that is a prefix). */
  private static Map<String, Object> mountOf(Workload w, String path) {
    return Tree.maps(w.containers().get(0), "volumeMounts").stream()
        .filter(m -> path.equals(m.get("mountPath")) || path.startsWith(m.get("mountPath") + "/"))
        .max(
            (a, b) ->
                ((String) a.get("mountPath")).length() - ((String) b.get("mountPath")).length())
        .orElseThrow(() -> new AssertionError(w + ": nothing mounted at " + path));
  }

  private static Map<String, Object> volume(Workload w, String name) {
    return Tree.maps(w.podSpec(), "volumes").stream()
        .filter(v -> name.equals(v.get("name")))
        .findFirst()
        .orElseThrow();
  }
}
