package dev.framecast.deploy.keycloak;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A child process of the test with its output in a log file, stopped with its whole process tree. A
 * JVM shutdown hook stops it too, so that an aborted Maven run (Ctrl-C, a killed fork) leaves no
 * Keycloak or gateway behind; {@link #close()} removes the hook.
 */
final class ManagedProcess implements AutoCloseable {
  private static final Duration GRACE = Duration.ofSeconds(20);

  private final String name;
  private final Process process;
  private final Path log;
  private final Thread shutdownHook;

  private ManagedProcess(String name, Process process, Path log, Thread shutdownHook) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.shutdownHook = shutdownHook;
  }

  /**
   * Starts {@code command} in {@code directory}, stdout and stderr to {@code logs/NAME.log}. The
   * shutdown hook is registered before the process starts, so that a JVM already shutting down
   * refuses to start it (addShutdownHook throws) instead of leaving it behind.
   */
  static ManagedProcess start(
      String name, List<String> command, Path directory, Map<String, String> env, Path logs) {
    AtomicReference<Process> started = new AtomicReference<>();
    Thread hook =
        new Thread(
            () -> {
              Process process = started.get();
              if (process != null) {
                destroyTree(process.toHandle(), Duration.ofSeconds(5));
              }
            },
            "stop-" + name);
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      Files.createDirectories(logs);
      Path log = logs.resolve(name + ".log");
      Files.writeString(log, "$ " + String.join(" ", command) + "\n", StandardCharsets.UTF_8);
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .directory(directory.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      builder.environment().putAll(env);
      started.set(builder.start());
      return new ManagedProcess(name, started.get(), log, hook);
    } catch (IOException e) {
      Runtime.getRuntime().removeShutdownHook(hook);
      throw new UncheckedIOException("cannot start " + name + ": " + command, e);
    }
  }

  String name() {
    return name;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  Path log() {
    return log;
  }

  /** SIGTERM to the process itself (not its descendants): what Kubernetes sends to stop a pod. */
  void signalTerm() {
    process.toHandle().destroy();
  }

  /** The whole log. */
  String logText() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + log, e);
    }
  }

  /** The last {@code lines} lines of the log, for failure messages. */
  String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  /**
   * Waits up to {@code timeout} for the process to end; its exit status, or empty if it runs on.
   */
  OptionalInt awaitExit(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
          ? OptionalInt.of(process.exitValue())
          : OptionalInt.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for " + name, e);
    }
  }

  /** Fails with the log's tail unless the process is still running. */
  void checkAlive() {
    if (!process.isAlive()) {
      throw new IllegalStateException(
          name
              + " (pid "
              + process.pid()
              + ") exited with "
              + process.exitValue()
              + "; last lines of "
              + log
              + ":\n"
              + logTail(60));
    }
  }

  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running or about to; stopping twice is harmless.
    }
    destroyTree(process.toHandle(), GRACE);
  }

  /**
   * SIGTERM to the process and every descendant (kc.sh runs Keycloak's JVM as its child), then
   * SIGKILL to whatever is still alive after {@code grace}.
   */
  static void destroyTree(ProcessHandle root, Duration grace) {
    List<ProcessHandle> tree = new ArrayList<>();
    tree.add(root);
    root.descendants().forEach(tree::add);
    tree.forEach(ProcessHandle::destroy);
    if (!awaitExit(tree, grace)) {
      tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
      awaitExit(tree, Duration.ofSeconds(10));
    }
  }

  private static boolean awaitExit(List<ProcessHandle> processes, Duration timeout) {
    CompletableFuture<?>[] exits =
        processes.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new);
    try {
      CompletableFuture.allOf(exits).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ", log " + log + ")";
  }
}
