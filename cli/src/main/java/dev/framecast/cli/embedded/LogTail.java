package dev.framecast.cli.embedded;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Reads a child process's output on a daemon thread, keeping its last lines (for an error message
 * when the child dies) and optionally echoing each line. Reading continuously also keeps the child
 * from blocking on a full pipe.
 */
final class LogTail {
  private final int lines;
  private final PrintStream echo;
  private final Deque<String> tail = new ArrayDeque<>();
  private Thread reader;

  LogTail(int lines, PrintStream echo) {
    this.lines = lines;
    this.echo = echo;
  }

  void follow(InputStream output) {
    reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  add(line);
                }
              } catch (IOException e) {
                // the process ended
              }
            },
            "gateway-log");
    reader.setDaemon(true);
    reader.start();
  }

  void add(String line) {
    synchronized (tail) {
      if (tail.size() == lines) {
        tail.removeFirst();
      }
      tail.addLast(line);
    }
    if (echo != null) {
      echo.println("[gateway] " + line);
    }
  }

  /** Waits a little for the last output of a process that exited. */
  void drain(Duration timeout) throws InterruptedException {
    if (reader != null) {
      reader.join(timeout.toMillis());
    }
  }

  String tail() {
    synchronized (tail) {
      return tail.isEmpty() ? "  (no output)" : "  " + String.join("\n  ", tail);
    }
  }
}
