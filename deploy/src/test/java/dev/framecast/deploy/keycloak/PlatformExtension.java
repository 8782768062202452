package dev.framecast.deploy.keycloak;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * One {@link Platform} for every test class of the run that uses this extension: started on the
 * first {@code beforeAll}, kept in the root context's store, and stopped when that store closes at
 * the end of the run, whatever the tests did. Tests receive it as a parameter. When a test fails,
 * the tail of every process's log is printed beside the failure.
 */
public final class PlatformExtension implements BeforeAllCallback, ParameterResolver, TestWatcher {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(PlatformExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    platform(context);
  }

  private static Platform platform(ExtensionContext context) {
    // AutoCloseable values in a store are closed with it (JUnit 5.13+ and 6).
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .computeIfAbsent(Started.class, type -> Started.start(), Started.class)
        .platform();
  }

  /**
   * The platform, or why it did not start: remembered, so that the next test class fails at once
   * with the same cause instead of starting everything again.
   */
  private record Started(Platform running, RuntimeException failure) implements AutoCloseable {
    static Started start() {
      try {
        return new Started(Platform.start(), null);
      } catch (RuntimeException e) {
        return new Started(null, e);
      }
    }

    Platform platform() {
      if (failure != null) {
        throw new IllegalStateException("the platform did not start", failure);
      }
      return running;
    }

    @Override
    public void close() {
      if (running != null) {
        running.close();
      }
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == Platform.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return platform(context);
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    Platform platform = context.getRoot().getStore(NAMESPACE).get(Platform.class, Platform.class);
    if (platform == null) {
      return;
    }
    StringBuilder tails = new StringBuilder();
    for (ManagedProcess process : platform.processes()) {
      tails
          .append("\n----- ")
          .append(process)
          .append(", last lines -----\n")
          .append(process.logTail(25))
          .append('\n');
    }
    System.err.println(context.getDisplayName() + " failed; the platform's logs:" + tails);
  }
}
