package io.litevault.store;

/**
 * Told about errors on a writer thread that no caller's future can carry: a {@link CommitListener}
 * that threw, a failed checkpoint, an unexpected error in the loop. The writer thread keeps running
 * after every call (the Disruptor's {@code ExceptionHandler} idea). The default logs at ERROR.
 */
@FunctionalInterface
public interface WriterErrorHandler {
  /**
   * @param database the database whose writer saw the error
   * @param where a short description of what was being done ("commit listener", "checkpoint", …)
   * @param error the error
   */
  void handle(String database, String where, Throwable error);
}
