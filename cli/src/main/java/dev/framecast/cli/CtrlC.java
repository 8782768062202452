package dev.framecast.cli;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * Ctrl-C while generate follows a job. Stopping the client does not stop the job (the server runs
 * it regardless), so the user decides: on a terminal they are asked "Cancel job X? [y/N]"; yes
 * cancels it and exits 130, anything else goes back to following it. Without a terminal nobody can
 * answer, and cancelling unasked would be wrong, so the CLI detaches instead: it exits 130 and
 * prints how to resume. A second Ctrl-C while the question is open detaches as well.
 */
final class CtrlC {
  /** Reads the answer; null when there is no terminal to ask on. */
  interface Prompt {
    /** The line typed after {@code question}, or null at end of input. */
    String ask(String question);
  }

  /** Cancels the job; returns an error message, or null on success. */
  interface Canceller {
    String cancel(String jobId);
  }

  private final Supplier<String> jobId;
  private final Prompt prompt;
  private final Canceller canceller;
  private final GenerateRun run;
  private final Terminal terminal;
  private final String resumeHint;
  private final IntConsumer exit;
  private final AtomicBoolean asking = new AtomicBoolean();

  CtrlC(
      GenerateRun run,
      Prompt prompt,
      Canceller canceller,
      Terminal terminal,
      String resumeHint,
      IntConsumer exit) {
    this.run = run;
    this.jobId = run::jobId;
    this.prompt = prompt;
    this.canceller = canceller;
    this.terminal = terminal;
    this.resumeHint = resumeHint;
    this.exit = exit;
  }

  /** Handles one Ctrl-C (on the signal's own thread): returns only to go on following the job. */
  void interrupted() {
    String id = jobId.get();
    if (id == null) {
      terminal.err().println();
      terminal.err().println("Interrupted before the server named the job.");
      exit.accept(CliException.INTERRUPTED);
      return;
    }
    if (prompt == null || !asking.compareAndSet(false, true)) {
      detach(id);
      return;
    }
    try {
      run.progress().pause();
      String answer = prompt.ask("\nCancel job " + id + "? [y/N] ");
      if (answer == null) {
        detach(id);
        return;
      }
      String a = answer.trim().toLowerCase(Locale.ROOT);
      if (a.equals("y") || a.equals("yes")) {
        String error = canceller.cancel(id);
        if (error != null) {
          terminal.err().println("Could not cancel job " + id + ": " + error);
          detach(id);
          return;
        }
        terminal.err().println("Cancelled job " + id + ".");
        exit.accept(CliException.INTERRUPTED);
        return;
      }
      run.progress().resume();
    } finally {
      asking.set(false);
    }
  }

  private void detach(String id) {
    run.progress().pause();
    terminal.err().println();
    terminal
        .err()
        .println("Detached; job " + id + " keeps running. Resume with: " + resumeHint + id);
    exit.accept(CliException.INTERRUPTED);
  }

  /**
   * Routes SIGINT to {@code handler} instead of shutting the JVM down. {@code sun.misc.Signal} is
   * the JDK's only way to do that (exported by jdk.unsupported for exactly this use); it is used by
   * reflection so the build has no "internal proprietary API" warning. Returns false where the
   * platform has no SIGINT, and the JVM's default (exit 130) stays.
   */
  static boolean install(Runnable handler) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
      Object proxy =
          java.lang.reflect.Proxy.newProxyInstance(
              handlerType.getClassLoader(),
              new Class<?>[] {handlerType},
              (self, method, args) -> {
                if (method.getName().equals("handle")) {
                  handler.run();
                  return null;
                }
                if (method.getName().equals("toString")) {
                  return "framecast Ctrl-C handler";
                }
                if (method.getName().equals("hashCode")) {
                  return System.identityHashCode(self);
                }
                return method.getName().equals("equals") && self == args[0];
              });
      Object sigint = signal.getConstructor(String.class).newInstance("INT");
      signal.getMethod("handle", signal, handlerType).invoke(null, sigint, proxy);
      return true;
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return false;
    }
  }
}
