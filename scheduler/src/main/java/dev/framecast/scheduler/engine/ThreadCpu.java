package dev.framecast.scheduler.engine;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/** The CPU time one thread has used, read from the JVM's thread CPU clock by any thread. */
final class ThreadCpu {
  private final Thread thread;
  private volatile long last;

  ThreadCpu(Thread thread) {
    this.thread = thread;
  }

  /**
   * Nanoseconds of CPU the thread has used; -1 where the JVM cannot measure it. After the thread
   * has ended, its last reading.
   */
  long nanos() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    if (!threads.isThreadCpuTimeSupported() || !threads.isThreadCpuTimeEnabled()) {
      return -1;
    }
    long nanos = threads.getThreadCpuTime(thread.getId());
    if (nanos >= 0) {
      last = nanos;
    }
    return last;
  }
}
