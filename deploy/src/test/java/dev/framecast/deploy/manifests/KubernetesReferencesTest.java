package dev.framecast.deploy.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.deploy.manifests.K8s.Workload;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Names and ports cross-reference in each rendered overlay: Services select pods and reach their
 * ports, NetworkPolicies select real pods and ports and let through exactly the intended traffic,
 * ServiceMonitors select Services by label and scrape named ports at the applications' paths, the
 * HPA and PDB find the gateway, and ConfigMap/PVC references resolve.
 */
class KubernetesReferencesTest {
  static final List<String> OVERLAYS = Rendered.OVERLAYS;

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void everyServiceSelectsPodsAndReachesTheirPorts(String overlay) {
    K8s k8s = Rendered.overlay(overlay);
    assertThat(k8s.ofKind("Service")).isNotEmpty();
    for (Map<String, Object> service : k8s.ofKind("Service")) {
      String name = K8s.name(service);
      List<Workload> backends = k8s.backends(service);
      assertThat(backends).as("pods selected by Service %s", name).isNotEmpty();
      for (Map<String, Object> port : Tree.maps(service, "spec.ports")) {
        Object target = port.getOrDefault("targetPort", port.get("port"));
        for (Workload w : backends) {
          assertThat(w.port(target))
              .as("Service %s port %s: targetPort %s on %s", name, port.get("name"), target, w)
              .isPresent();
        }
      }
    }
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void networkPoliciesSelectRealPodsAndPorts(String overlay) {
    K8s k8s = Rendered.overlay(overlay);
    for (Map<String, Object> policy : k8s.ofKind("NetworkPolicy")) {
      String name = K8s.name(policy);
      Map<String, String> selector = Tree.labels(policy, "spec.podSelector.matchLabels");
      List<Workload> selected = k8s.selected(selector);
      assertThat(selected).as("pods of NetworkPolicy %s", name).isNotEmpty();
      for (Map<String, Object> rule : Tree.maps(policy, "spec.ingress")) {
        for (Map<String, Object> peer : Tree.maps(rule, "from")) {
          if (Tree.at(peer, "namespaceSelector") == null && Tree.at(peer, "podSelector") != null) {
            assertThat(k8s.selected(Tree.labels(peer, "podSelector.matchLabels")))
                .as("NetworkPolicy %s: peer %s selects pods of this namespace", name, peer)
                .isNotEmpty();
          }
        }
        for (Map<String, Object> port : Tree.maps(rule, "ports")) {
          for (Workload w : selected) {
            assertThat(w.port(port.get("port")))
                .as("NetworkPolicy %s: port %s on %s", name, port.get("port"), w)
                .isPresent();
          }
        }
      }
    }
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void onlyTheGatewayIsReachableFromOutsideAndEachHopOnlyFromTheOneBefore(String overlay) {
    K8s k8s = Rendered.overlay(overlay);
    assertThat(k8s.ofKind("NetworkPolicy"))
        .as("a default-deny policy: every pod, Ingress, no rule")
        .anySatisfy(
            p -> {
              assertThat(Tree.map(p, "spec.podSelector")).isEmpty();
              assertThat(Tree.list(p, "spec.policyTypes")).contains("Ingress");
              assertThat(Tree.list(p, "spec.ingress")).isEmpty();
            });
    Workload gateway = k8s.workload("framecast-gateway");
    Workload scheduler = k8s.workload("framecast-scheduler");
    List<Workload> nodes = k8s.selected(Map.of("app.kubernetes.io/name", "framecast-node"));
    assertThat(nodes).isNotEmpty();

    assertThat(sources(k8s, gateway))
        .containsExactlyInAnyOrder(
            "anyone:" + gateway.portNumber("http"),
            "prometheus:" + gateway.portNumber("management"));
    assertThat(sources(k8s, scheduler))
        .containsExactlyInAnyOrder(
            "pod:framecast-gateway:" + scheduler.portNumber("grpc"),
            "prometheus:" + scheduler.portNumber("metrics"));
    for (Workload node : nodes) {
      assertThat(sources(k8s, node))
          .as("sources allowed into %s", node)
          .containsExactlyInAnyOrder(
              "pod:framecast-scheduler:" + node.portNumber("grpc"),
              "prometheus:" + node.portNumber("metrics"));
    }
    Workload postgres = k8s.workload("framecast-postgres");
    assertThat(sources(k8s, postgres))
        .containsExactly("pod:framecast-scheduler:" + postgres.portNumber("postgres"));
  }

  /**
   * Who may connect to a workload's pods, as "anyone:PORT", "pod:WORKLOAD:PORT" (same namespace) or
   * "prometheus:PORT" (the monitoring namespace's Prometheus), from every policy selecting it.
   */
  private static Set<String> sources(K8s k8s, Workload target) {
    Set<String> sources = new TreeSet<>();
    for (Map<String, Object> policy : k8s.ofKind("NetworkPolicy")) {
      if (!Tree.matches(Tree.labels(policy, "spec.podSelector.matchLabels"), target.podLabels())) {
        continue;
      }
      for (Map<String, Object> rule : Tree.maps(policy, "spec.ingress")) {
        List<Integer> ports = new ArrayList<>();
        for (Map<String, Object> port : Tree.maps(rule, "ports")) {
          ports.add(target.portNumber(port.get("port")));
        }
        assertThat(ports).as("a rule of %s names its ports", K8s.name(policy)).isNotEmpty();
        List<String> peers = new ArrayList<>();
        if (Tree.list(rule, "from").isEmpty()) {
          peers.add("anyone");
        }
        for (Map<String, Object> peer : Tree.maps(rule, "from")) {
          if (Tree.at(peer, "namespaceSelector") != null) {
            assertThat(Tree.labels(peer, "namespaceSelector.matchLabels"))
                .containsEntry("kubernetes.io/metadata.name", "monitoring");
            assertThat(Tree.labels(peer, "podSelector.matchLabels"))
                .containsEntry("app.kubernetes.io/name", "prometheus");
            peers.add("prometheus");
          } else {
            for (Workload w : k8s.selected(Tree.labels(peer, "podSelector.matchLabels"))) {
              peers.add("pod:" + w.name());
            }
          }
        }
        for (String peer : peers) {
          for (int port : ports) {
            sources.add(peer + ":" + port);
          }
        }
      }
    }
    return sources;
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void serviceMonitorsScrapeNamedServicePortsAtTheApplicationsPaths(String overlay) {
    K8s k8s = Rendered.overlay(overlay);
    List<Map<String, Object>> monitors = k8s.ofKind("ServiceMonitor");
    Set<String> monitored = new TreeSet<>();
    for (Map<String, Object> monitor : monitors) {
      assertThat(monitor.get("apiVersion")).isEqualTo("monitoring.coreos.com/v1");
      Map<String, String> selector = Tree.labels(monitor, "spec.selector.matchLabels");
      List<Map<String, Object>> services =
          k8s.ofKind("Service").stream()
              .filter(s -> Tree.matches(selector, Tree.labels(s, "metadata.labels")))
              .toList();
      assertThat(services).as("Services of ServiceMonitor %s", K8s.name(monitor)).isNotEmpty();
      for (Map<String, Object> service : services) {
        for (Map<String, Object> endpoint : Tree.maps(monitor, "spec.endpoints")) {
          String portName = Tree.str(endpoint, "port");
          Map<String, Object> port =
              Tree.maps(service, "spec.ports").stream()
                  .filter(p -> portName.equals(p.get("name")))
                  .findFirst()
                  .orElseThrow(
                      () -> new AssertionError(K8s.name(service) + " has no port " + portName));
          for (Workload w : k8s.backends(service)) {
            Apps.App app = Apps.forImage(Tree.str(w.containers().get(0), "image"));
            String expected = app == Apps.App.GATEWAY ? "/q/metrics" : "/metrics";
            assertThat(Tree.str(endpoint, "path")).as("path for %s", w).isEqualTo(expected);
            assertThat(w.port(port.get("targetPort"))).isPresent();
          }
          monitored.add(K8s.name(service));
        }
      }
    }
    assertThat(monitored)
        .containsExactlyInAnyOrder(
            "framecast-gateway-management", "framecast-scheduler", "framecast-node");
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void gatewayScalesWithAnHpaAndAPdbAndTheSchedulerRunsALeaderAndAStandby(String overlay) {
    K8s k8s = Rendered.overlay(overlay);
    Map<String, Object> hpa = k8s.ofKind("HorizontalPodAutoscaler").get(0);
    assertThat(hpa.get("apiVersion")).isEqualTo("autoscaling/v2");
    assertThat(Tree.str(hpa, "spec.scaleTargetRef.kind")).isEqualTo("Deployment");
    Workload gateway = k8s.workload(Tree.str(hpa, "spec.scaleTargetRef.name"));
    assertThat(gateway.name()).isEqualTo("framecast-gateway");
    assertThat(Tree.at(gateway.object(), "spec.replicas"))
        .as("replicas belong to the HPA, not the Deployment")
        .isNull();
    // Utilization targets need CPU requests on every container.
    for (Map<String, Object> c : gateway.containers()) {
      assertThat(Tree.str(c, "resources.requests.cpu")).isNotNull();
    }
    int minReplicas = Integer.parseInt(Tree.str(hpa, "spec.minReplicas"));
    assertThat(Integer.parseInt(Tree.str(pdbOf(k8s, gateway), "spec.minAvailable")))
        .isLessThan(minReplicas);

    // The scheduler: a leader and a standby on one job store, replaced one at a time (a new pod
    // joins as a standby before an old one leaves), and a drain takes one at a time.
    Workload scheduler = k8s.workload("framecast-scheduler");
    int replicas = Integer.parseInt(Tree.str(scheduler.object(), "spec.replicas"));
    assertThat(replicas).isEqualTo(2);
    assertThat(Tree.str(scheduler.object(), "spec.strategy.type")).isEqualTo("RollingUpdate");
    assertThat(Tree.str(scheduler.object(), "spec.strategy.rollingUpdate.maxUnavailable"))
        .isEqualTo("0");
    assertThat(Integer.parseInt(Tree.str(pdbOf(k8s, scheduler), "spec.minAvailable")))
        .isBetween(1, replicas - 1);
    // Both mount the clips, on different machines.
    for (Map<String, Object> volume : Tree.maps(scheduler.podSpec(), "volumes")) {
      String claim = Tree.str(volume, "persistentVolumeClaim.claimName");
      if (claim != null) {
        assertThat(
                Tree.list(
                    k8s.find("PersistentVolumeClaim", claim).orElseThrow(), "spec.accessModes"))
            .as("PVC %s", claim)
            .containsExactly("ReadWriteMany");
      }
    }
    // Readiness is membership, not leadership (a standby must be ready, or no rollout could
    // finish): the probes ask the scheduler's /readyz and /livez on its metrics port.
    Map<String, Object> c = scheduler.containers().get(0);
    assertThat(Tree.str(c, "readinessProbe.httpGet.path")).isEqualTo("/readyz");
    assertThat(Tree.str(c, "startupProbe.httpGet.path")).isEqualTo("/readyz");
    assertThat(Tree.str(c, "livenessProbe.httpGet.path")).isEqualTo("/livez");
    for (String probe : List.of("readinessProbe", "startupProbe", "livenessProbe")) {
      assertThat(scheduler.portNumber(Tree.at(c, probe + ".httpGet.port")))
          .isEqualTo(scheduler.portNumber("metrics"));
    }
    String metricsSource =
        Repo.read("scheduler/src/main/java/dev/framecast/scheduler/metrics/SchedulerMetrics.java");
    assertThat(metricsSource).contains("\"/readyz\"", "\"/livez\"");
  }

  /** The one PodDisruptionBudget that selects exactly {@code workload}'s pods. */
  private static Map<String, Object> pdbOf(K8s k8s, Workload workload) {
    List<Map<String, Object>> pdbs =
        k8s.ofKind("PodDisruptionBudget").stream()
            .filter(
                pdb ->
                    k8s.selected(Tree.labels(pdb, "spec.selector.matchLabels"))
                        .equals(List.of(workload)))
            .toList();
    assertThat(pdbs).as("PodDisruptionBudgets of %s", workload).hasSize(1);
    return pdbs.get(0);
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void configMapsClaimsAndKeysThatPodsReferToExist(String overlay) {
    K8s k8s = Rendered.overlay(overlay);
    assertThat(k8s.ofKind("Secret")).as("secrets are referenced, never rendered").isEmpty();
    for (Workload w : k8s.workloads()) {
      for (Map<String, Object> volume : Tree.maps(w.podSpec(), "volumes")) {
        String configMap = Tree.str(volume, "configMap.name");
        if (configMap != null) {
          assertThat(k8s.find("ConfigMap", configMap)).as("ConfigMap %s", configMap).isPresent();
        }
        String claim = Tree.str(volume, "persistentVolumeClaim.claimName");
        if (claim != null) {
          assertThat(k8s.find("PersistentVolumeClaim", claim)).as("PVC %s", claim).isPresent();
        }
        assertThat(volume).as("no hostPath volumes").doesNotContainKey("hostPath");
      }
      for (Map<String, Object> c : w.allContainers()) {
        // A pod's volumes, and a StatefulSet's per-pod claims.
        List<Object> volumes = new ArrayList<>();
        Tree.maps(w.podSpec(), "volumes").forEach(v -> volumes.add(v.get("name")));
        Tree.maps(w.object(), "spec.volumeClaimTemplates")
            .forEach(t -> volumes.add(Tree.str(t, "metadata.name")));
        for (Map<String, Object> mount : Tree.maps(c, "volumeMounts")) {
          assertThat(volumes)
              .as("%s: volume of mount %s", w, mount.get("name"))
              .contains(mount.get("name"));
        }
        for (Map<String, Object> env : Tree.maps(c, "env")) {
          String cm = Tree.str(env, "valueFrom.configMapKeyRef.name");
          if (cm != null) {
            String key = Tree.str(env, "valueFrom.configMapKeyRef.key");
            assertThat(Tree.map(k8s.find("ConfigMap", cm).orElseThrow(), "data"))
                .as("ConfigMap %s key %s", cm, key)
                .containsKey(key);
          }
        }
      }
    }
  }

  @ParameterizedTest
  @FieldSource("OVERLAYS")
  void everyObjectLivesInTheFramecastNamespace(String overlay) {
    K8s k8s = Rendered.overlay(overlay);
    for (Map<String, Object> o : k8s.all()) {
      if (!"Namespace".equals(o.get("kind"))) {
        assertThat(Tree.str(o, "metadata.namespace"))
            .as("%s %s", o.get("kind"), K8s.name(o))
            .isEqualTo("framecast");
      }
    }
    assertThat(Tree.labels(k8s.find("Namespace", "framecast").orElseThrow(), "metadata.labels"))
        .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
  }
}
