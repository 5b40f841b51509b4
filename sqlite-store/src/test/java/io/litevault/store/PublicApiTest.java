package io.litevault.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What an application can reach on its handles: the replication SPI and the WAL's bytes are not there. */
class PublicApiTest {
  private static final Set<String> SPI = Set.of("files", "addCommitListener", "removeCommitListener",
      "addCheckpointGate", "removeCheckpointGate", "atCommitBoundary", "pin", "requestCheckpoint");

  @Test
  void theReplicationSpiIsOnThePortNotOnTheDatabase() {
    Set<String> onDatabase = publicMethods(Database.class);
    Set<String> leaked = new TreeSet<>(SPI);
    leaked.retainAll(onDatabase);
    assertEquals(Set.of(), leaked, "replication SPI on the application's Database");
    assertTrue(publicMethods(ReplicationPort.class).containsAll(SPI), "the port offers the whole SPI");
  }

  @Test
  void nobodyButTheStoreClosesTheDatabaseFiles() {
    assertTrue(!AutoCloseable.class.isAssignableFrom(DatabaseFiles.class), "try-with-resources would close them");
    assertTrue(!publicMethods(DatabaseFiles.class).contains("close"), "close() drops SQLite's POSIX locks");
  }

  @Test
  void walByteLayoutIsNotPublicApi() {
    for (Field f : WalPosition.class.getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers())) {
        assertTrue(!Modifier.isPublic(f.getModifiers()), f.getName() + " is public");
      }
    }
  }

  private static Set<String> publicMethods(Class<?> c) {
    return Arrays.stream(c.getMethods()).filter(m -> Modifier.isPublic(m.getModifiers()))
        .map(Method::getName).collect(Collectors.toSet());
  }
}
