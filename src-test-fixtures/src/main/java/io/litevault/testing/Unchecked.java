package io.litevault.testing;

/**
 * Runs a body that throws checked exceptions where only a plain lambda fits, such as a property
 * library's {@code checkAssert}: the exception, checked or not, is rethrown as it is (same type, same
 * stack trace), so the failure report shows the real cause rather than a wrapper.
 */
public final class Unchecked {
  /** A block of test code that may throw anything. */
  @FunctionalInterface
  public interface Body {
    void run() throws Exception;
  }

  private Unchecked() {}

  public static void run(Body body) {
    try {
      body.run();
    } catch (Exception e) {
      throw Unchecked.<RuntimeException>sneaky(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> E sneaky(Throwable t) throws E {
    throw (E) t;
  }
}
