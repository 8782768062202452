package dev.framecast.deploy.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code ./framecast serve}'s flags turn into: the script runs with a stand-in {@code java} on
 * the PATH that records its arguments, so the test sees the exact JVM command line. Needs the
 * gateway's fast-jar (built before this module); skipped without it, except in CI.
 */
class ServeScriptTest {
  @TempDir Path dir;

  private List<String> javaArguments(String... serveArgs) throws Exception {
    Path jar = Repo.path("gateway/target/quarkus-app/quarkus-run.jar");
    if (!Files.isRegularFile(jar)) {
      Assumptions.assumeTrue(
          System.getenv("FRAMECAST_CI") == null,
          "the gateway's fast-jar is missing in CI: build the gateway before this module");
      Assumptions.abort("no gateway fast-jar (./mvnw -pl gateway -am package first)");
    }
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path recorded = dir.resolve("java-args");
    Path java = bin.resolve("java");
    Files.writeString(java, "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > '" + recorded + "'\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    List<String> command = new ArrayList<>(List.of("bash", Repo.path("framecast").toString()));
    command.add("serve");
    command.addAll(List.of(serveArgs));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    builder.environment().put("FRAMECAST_HOME", dir.resolve("home").toString());
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return Files.readAllLines(recorded);
  }

  @Test
  void publicTlsFlagsPutTheOnePortOnTlsWithNoPlaintextListener() throws Exception {
    Path cert = Files.writeString(dir.resolve("cert.pem"), "");
    Path key = Files.writeString(dir.resolve("key.pem"), "");
    List<String> args =
        javaArguments(
            "--port",
            "8443",
            "--public-tls-cert",
            cert.toString(),
            "--public-tls-key",
            key.toString(),
            "--data-dir",
            dir.resolve("data").toString());
    assertThat(args)
        .contains(
            "-Dquarkus.tls.key-store.pem.0.cert=" + cert.toRealPath(),
            "-Dquarkus.tls.key-store.pem.0.key=" + key.toRealPath(),
            "-Dquarkus.http.insecure-requests=disabled",
            "-Dquarkus.http.ssl-port=8443",
            "-Dquarkus.http.host=127.0.0.1");
    assertThat(args.get(args.size() - 1)).endsWith("quarkus-run.jar");
  }

  @Test
  void webhooksToThisMachineAreAllowedOnlyWhenAsked() throws Exception {
    assertThat(javaArguments("--data-dir", dir.resolve("data").toString()))
        .noneMatch(a -> a.contains("webhook-allow"));
    assertThat(
            javaArguments(
                "--webhook-allow", "127.0.0.0/8", "--data-dir", dir.resolve("data").toString()))
        .contains("-Dframecast.embedded.webhook-allow=127.0.0.0/8");
  }
}
