package dev.framecast.common;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Runs a drain when the process is asked to stop (SIGTERM, SIGINT), before the JVM starts its
 * shutdown hooks, then lets the JVM exit as it would have (143 for SIGTERM, 130 for SIGINT).
 *
 * <p>Why not a shutdown hook: the JVM runs its hooks concurrently, and some of them tear down what
 * a drain needs. ONNX Runtime's Java binding frees its native environment from a hook of its own,
 * so a session still running (or being closed by our hook) crashes the JVM in native code
 * (inference-node/README.md, "Stopping"); and {@code java.util.logging}'s LogManager resets its
 * handlers from its own hook, so whatever a drain logs from a hook (the scheduler's "asked N event
 * stream(s) to reconnect") may never be written. Draining here, on the signal, runs before any
 * hook. A second signal while the drain runs exits at once. Used by the inference node, the
 * scheduler and the embedded gateway.
 */
public final class ShutdownSignals {
  private static final Logger LOG = Logger.getLogger(ShutdownSignals.class.getName());

  private ShutdownSignals() {}

  /**
   * Installs the handlers; {@code drain} runs at most once, on the first signal.
   *
   * @param what what is draining, for the log
   */
  public static void drainFirst(String what, Runnable drain) {
    AtomicBoolean started = new AtomicBoolean();
    for (String name : new String[] {"TERM", "INT"}) {
      Signal signal = new Signal(name);
      SignalHandler[] previous = new SignalHandler[1];
      try {
        previous[0] =
            Signal.handle(
                signal,
                s -> {
                  if (started.compareAndSet(false, true)) {
                    LOG.info("SIG" + s.getName() + ": stopping " + what + " before exiting");
                    try {
                      drain.run();
                    } catch (RuntimeException | Error e) {
                      LOG.severe("stopping " + what + " failed: " + e);
                    }
                  }
                  exit(previous[0], s);
                });
      } catch (IllegalArgumentException e) {
        // The JVM keeps this signal (-Xrs, or a platform without it): shutdown hooks only.
        LOG.warning("cannot handle SIG" + name + ": " + e.getMessage());
      }
    }
  }

  /** What the JVM would have done: its own handler starts the shutdown with 128 + signal. */
  private static void exit(SignalHandler previous, Signal signal) {
    if (previous != null
        && previous != SignalHandler.SIG_DFL
        && previous != SignalHandler.SIG_IGN) {
      previous.handle(signal);
    } else {
      System.exit(128 + signal.getNumber());
    }
  }
}
