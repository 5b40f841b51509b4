package io.litevault.store;

import java.nio.file.Path;

/**
 * The child JVM of {@link StoreLockWaitTest}. Args: directory, mode. {@code hold}: opens a store on the
 * directory, prints "ready", and closes it on SIGTERM (a shutdown hook), after a pause of the given
 * milliseconds (third arg) so the parent can see it wait. {@code probe}: tries to open it without waiting
 * and prints "opened <dir>" or "refused", then exits.
 */
public final class LockHolderMain {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    if (args[1].equals("probe")) {
      try (SqliteStore s = SqliteStore.builder(dir).database("data", Kv.options().build()).open()) {
        System.out.println("opened " + s.directory());
      } catch (StoreLockedException e) {
        System.out.println("refused");
      }
      System.out.flush();
      return;
    }
    long closeDelayMillis = Long.parseLong(args[2]);
    SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options().build()).open();
    store.database("data").writeAndWait(Kv.put(1, ProcessHandle.current().pid()));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        Thread.sleep(closeDelayMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      store.close();
      System.out.println("closed");
      System.out.flush();
    }));
    System.out.println("ready " + ProcessHandle.current().pid());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
