package dev.framecast.cli.eval;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Python code next to triton-models/training (data.py, eval.py), so the Java port is checked
 * against the source it ports. Tests that need it are skipped where there is no Python 3 with
 * numpy. torch is replaced by an empty module: data.py imports it at the top but the prompts and
 * the scorer never use it, and a real import takes seconds.
 */
final class PythonEval {
  static final Path PYTHON =
      Path.of(System.getenv().getOrDefault("FRAMECAST_PYTHON", "/usr/bin/python3"));

  private static final String PRELUDE =
      """
      import json, sys, types
      sys.modules['torch'] = types.ModuleType('torch')
      sys.path.insert(0, sys.argv[1])
      """;

  private PythonEval() {}

  static Path training() {
    Path root = Path.of(System.getProperty("framecast.root", "..")).toAbsolutePath().normalize();
    return root.resolve("triton-models/training");
  }

  /** Skips the calling test unless Python 3 with numpy is here. */
  static void assumeAvailable() throws Exception {
    assumeTrue(Files.isExecutable(PYTHON), PYTHON + " is not installed");
    Process probe = new ProcessBuilder(PYTHON.toString(), "-c", "import numpy").start();
    assumeTrue(
        probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0, PYTHON + " has no numpy");
  }

  /** Runs {@code code} (after the prelude) with extra arguments; returns its stdout. */
  static String run(String code, String... args) throws IOException, InterruptedException {
    List<String> command =
        new java.util.ArrayList<>(
            List.of(PYTHON.toString(), "-c", PRELUDE + code, training().toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IllegalStateException(
          "python failed: " + new String(output, StandardCharsets.UTF_8));
    }
    return new String(output, StandardCharsets.UTF_8);
  }
}
