package dev.framecast.node;

import static dev.framecast.node.NodeClient.floats;
import static dev.framecast.node.NodeClient.input;
import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.inference.v2.ModelInferRequest;
import dev.framecast.inference.v2.ModelInferResponse;
import dev.framecast.inference.v2.ServerReadyRequest;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node process stopped with SIGTERM while its instances run batches: it drains and exits with the
 * JVM's 143, never with a native crash in ONNX Runtime (whose own shutdown hook would free the
 * environment under a running session), and writes no hs_err file.
 */
class GracefulStopTest {
  private static final Path MODELS =
      Path.of(System.getProperty("framecast.modelRepository", "../triton-models"))
          .toAbsolutePath()
          .normalize();

  @TempDir Path dir;

  @Test
  void sigtermWhileBatchesRunExitsCleanly() throws Exception {
    for (int round = 0; round < 3; round++) {
      int port = freePort();
      Path log = dir.resolve("node-" + round + ".log");
      Process node =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp",
                  classPath(),
                  NodeMain.class.getName(),
                  "--model-repository",
                  MODELS.toString(),
                  "--host",
                  "127.0.0.1",
                  "--port",
                  Integer.toString(port),
                  "--metrics-port",
                  "-1",
                  "--load-model",
                  "vae",
                  // A plaintext client below; mutual TLS has its own test (MutualTlsTest).
                  "--insecure")
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      try (NodeClient client = new NodeClient(port)) {
        awaitReady(client, node, log);
        AtomicInteger answered = new AtomicInteger();
        for (int i = 0; i < 16; i++) {
          client.async().modelInfer(decode(), counting(answered));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (answered.get() < 2 && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        node.destroy(); // SIGTERM, with requests still queued and running
        assertThat(node.waitFor(30, TimeUnit.SECONDS)).as("exited within the grace").isTrue();
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(output).doesNotContain("SIGSEGV", "A fatal error has been detected");
        // 143 when the JVM's own handler starts the exit, 0 when main returns first (the drain
        // stops the server main waits on): both are a clean stop.
        assertThat(node.exitValue()).as("exit status; log:%n%s", output).isIn(0, 143);
      } finally {
        node.destroyForcibly();
      }
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .noneMatch(name -> name.startsWith("hs_err"));
    }
  }

  private static ModelInferRequest decode() {
    float[] latents = new float[4 * 16 * 16 * 16];
    for (int i = 0; i < latents.length; i++) {
      latents[i] = (i % 7) / 7f;
    }
    return ModelInferRequest.newBuilder()
        .setModelName("vae")
        .addInputs(input("latents", "FP32", 1, 4, 16, 16, 16))
        .addRawInputContents(floats(latents))
        .build();
  }

  private static StreamObserver<ModelInferResponse> counting(AtomicInteger answered) {
    return new StreamObserver<>() {
      @Override
      public void onNext(ModelInferResponse value) {}

      @Override
      public void onError(Throwable t) {
        answered.incrementAndGet();
      }

      @Override
      public void onCompleted() {
        answered.incrementAndGet();
      }
    };
  }

  private static void awaitReady(NodeClient client, Process node, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!node.isAlive()) {
        node.waitFor();
        throw new AssertionError("the node exited with " + node.exitValue() + ": " + read(log));
      }
      try {
        if (client
            .blocking()
            .withDeadlineAfter(1, TimeUnit.SECONDS)
            .serverReady(ServerReadyRequest.getDefaultInstance())
            .getReady()) {
          return;
        }
      } catch (io.grpc.StatusRuntimeException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the node did not become ready: " + read(log));
  }

  /**
   * What {@code ./framecast node} runs with: this module's classes and its runtime class path
   * (target/classpath.txt, written before the tests).
   */
  private static String classPath() throws IOException {
    return Path.of("target", "classes").toAbsolutePath()
        + java.io.File.pathSeparator
        + Files.readString(Path.of("target", "classpath.txt")).trim();
  }

  private static String read(Path log) throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
