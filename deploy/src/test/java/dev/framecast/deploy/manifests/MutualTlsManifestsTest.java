package dev.framecast.deploy.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.deploy.manifests.Compose.Mount;
import dev.framecast.deploy.manifests.K8s.Workload;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every hop between the gateway, the scheduler and the nodes is mutual TLS in both deployments:
 * each service is given a certificate that names it (cert-manager on Kubernetes, ./framecast certs
 * for compose), mounted where its options point, and nothing runs with --insecure.
 */
class MutualTlsManifestsTest {
  private static final String TLS_DIR = "/etc/framecast/tls";

  @ParameterizedTest
  @ValueSource(strings = {"gpu", "cpu-only"})
  void certificatesComeFromTheFramecastCaAndNameTheirService(String overlay) {
    K8s k8s = Rendered.overlay(overlay);
    List<Map<String, Object>> certificates = k8s.ofKind("Certificate");
    assertThat(certificates)
        .extracting(c -> Tree.str(c, "spec.commonName"))
        .contains("framecast-gateway", "framecast-scheduler", "framecast-node");
    for (Map<String, Object> certificate : certificates) {
      String issuer = Tree.str(certificate, "spec.issuerRef.name");
      assertThat(k8s.find("Issuer", issuer)).as("issuer %s", issuer).isPresent();
      // The services read PKCS#8 keys only.
      assertThat(Tree.str(certificate, "spec.privateKey.encoding")).isEqualTo("PKCS8");
      if (!"true".equals(Tree.str(certificate, "spec.isCA"))) {
        assertThat(issuer).isEqualTo("framecast-ca");
        assertThat(Tree.list(certificate, "spec.usages")).contains("client auth", "server auth");
        assertThat(Tree.list(certificate, "spec.dnsNames"))
            .contains(Tree.str(certificate, "spec.commonName"));
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpu", "cpu-only"})
  void theSchedulerAndTheGatewayUseTheirOwnCertificates(String overlay) {
    K8s k8s = Rendered.overlay(overlay);
    Workload scheduler = k8s.workload("framecast-scheduler");
    List<String> args = KubernetesContainersTest.args(scheduler);
    assertThat(args).doesNotContain("--insecure");
    Map<String, List<String>> options = Apps.options(args);
    assertTlsFiles(k8s, scheduler, options.get("--tls-cert").get(0), "framecast-scheduler");
    assertTlsFiles(k8s, scheduler, options.get("--tls-key").get(0), "framecast-scheduler");
    assertTlsFiles(k8s, scheduler, options.get("--tls-ca").get(0), "framecast-scheduler");

    Workload gateway = k8s.workload("framecast-gateway");
    Map<String, Object> container = gateway.containers().get(0);
    for (String variable : List.of("CERT", "KEY", "CA")) {
      assertTlsFiles(
          k8s,
          gateway,
          env(container, "FRAMECAST_DISTRIBUTED_TLS_" + variable),
          "framecast-gateway");
    }
    assertThat(Tree.maps(container, "env"))
        .extracting(e -> Tree.str(e, "name"))
        .doesNotContain("FRAMECAST_DISTRIBUTED_INSECURE");
  }

  @Test
  void theNodesServeTheirCertificateToTheSchedulerOnly() {
    K8s cpu = Rendered.overlay("cpu-only");
    Workload node = cpu.running(Images.OURS + "inference-node").get(0);
    Map<String, List<String>> options = Apps.options(KubernetesContainersTest.args(node));
    for (String option : List.of("--tls-cert", "--tls-key", "--tls-ca")) {
      assertTlsFiles(cpu, node, options.get(option).get(0), "framecast-node");
    }

    K8s gpu = Rendered.overlay("gpu");
    Workload triton = gpu.running("nvcr.io/nvidia/tritonserver").get(0);
    Map<String, List<String>> flags = Apps.equalsOptions(KubernetesContainersTest.args(triton));
    assertThat(flags.get("--grpc-use-ssl-mutual")).containsExactly("true");
    for (String option : List.of("--grpc-server-cert", "--grpc-server-key", "--grpc-root-cert")) {
      assertTlsFiles(gpu, triton, flags.get(option).get(0), "framecast-node");
    }
  }

  @Test
  void composeMountsTheDevelopmentCertificatesWhereEachServiceLooks() {
    Compose compose = new Compose();
    Map<String, List<String>> scheduler = Apps.options(compose.command("scheduler"));
    assertThat(compose.command("scheduler")).doesNotContain("--insecure");
    assertThat(
            List.of(
                scheduler.get("--tls-cert"), scheduler.get("--tls-key"), scheduler.get("--tls-ca")))
        .containsExactly(
            List.of(TLS_DIR + "/scheduler.pem"),
            List.of(TLS_DIR + "/scheduler-key.pem"),
            List.of(TLS_DIR + "/ca.pem"));
    Map<String, String> gateway = compose.environment("gateway");
    assertThat(gateway)
        .containsEntry("FRAMECAST_DISTRIBUTED_TLS_CERT", TLS_DIR + "/gateway.pem")
        .containsEntry("FRAMECAST_DISTRIBUTED_TLS_KEY", TLS_DIR + "/gateway-key.pem")
        .containsEntry("FRAMECAST_DISTRIBUTED_TLS_CA", TLS_DIR + "/ca.pem")
        .doesNotContainKey("FRAMECAST_DISTRIBUTED_INSECURE");
    Map<String, List<String>> triton = Apps.equalsOptions(compose.command("triton"));
    assertThat(triton.get("--grpc-server-cert")).containsExactly(TLS_DIR + "/node.pem");
    assertThat(triton.get("--grpc-use-ssl-mutual")).containsExactly("true");
    for (String service : List.of("scheduler", "gateway", "triton")) {
      Mount mount = compose.mountOf(service, TLS_DIR + "/ca.pem");
      assertThat(mount.bind()).isTrue();
      assertThat(mount.readOnly()).isTrue();
      assertThat(mount.source()).isEqualTo("./certs");
    }
    // The directory ./framecast certs is told to write, and git ignores.
    assertThat(Repo.read("deploy/compose/.gitignore")).contains("certs/");
    assertThat(Repo.read(Compose.FILE))
        .contains("./framecast certs --dir deploy/compose/certs --readable-keys");
  }

  /** {@code path} is a file of the secret of the Certificate that names {@code service}. */
  private static void assertTlsFiles(K8s k8s, Workload w, String path, String service) {
    assertThat(path).startsWith(TLS_DIR + "/");
    Map<String, Object> mount =
        Tree.maps(w.containers().get(0), "volumeMounts").stream()
            .filter(m -> TLS_DIR.equals(m.get("mountPath")))
            .findFirst()
            .orElseThrow(() -> new AssertionError(w + ": nothing mounted at " + TLS_DIR));
    assertThat(Tree.str(mount, "readOnly")).isEqualTo("true");
    Map<String, Object> volume =
        Tree.maps(w.podSpec(), "volumes").stream()
            .filter(v -> mount.get("name").equals(v.get("name")))
            .findFirst()
            .orElseThrow();
    String secret = Tree.str(volume, "secret.secretName");
    Map<String, Object> certificate =
        k8s.ofKind("Certificate").stream()
            .filter(c -> secret.equals(Tree.str(c, "spec.secretName")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no Certificate makes secret " + secret));
    assertThat(Tree.str(certificate, "spec.commonName")).isEqualTo(service);
    // cert-manager's secret holds these three keys.
    assertThat(path.substring(TLS_DIR.length() + 1)).isIn("tls.crt", "tls.key", "ca.crt");
  }

  private static String env(Map<String, Object> container, String name) {
    return Tree.maps(container, "env").stream()
        .filter(e -> name.equals(e.get("name")))
        .map(e -> Tree.str(e, "value"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no env " + name));
  }
}
