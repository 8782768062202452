package dev.framecast.cli;

import java.io.PrintStream;
import java.util.Map;

/**
 * Where a command writes: results on {@code out}, progress and errors on {@code err}, and whether
 * {@code err} is a terminal (then progress is redrawn in place).
 */
public record Terminal(PrintStream out, PrintStream err, boolean interactive) {
  /** Set by the framecast script from {@code [ -t 2 ]}: Java cannot ask whether stderr is a tty. */
  static final String STDERR_TTY_ENV = "FRAMECAST_STDERR_TTY";

  /** The process's streams; without the script's hint, a console means an interactive session. */
  static Terminal system(Map<String, String> env) {
    String hint = env.get(STDERR_TTY_ENV);
    boolean interactive = hint != null ? hint.equals("1") : System.console() != null;
    return new Terminal(System.out, System.err, interactive);
  }
}
