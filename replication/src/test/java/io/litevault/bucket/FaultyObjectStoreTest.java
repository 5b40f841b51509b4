package io.litevault.bucket;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The decorator's faults do what they say, over a real file store. */
class FaultyObjectStoreTest {
  @TempDir
  Path dir;

  private FaultyObjectStore store() {
    return new FaultyObjectStore(FileSystemObjectStore.create(FileSystemOptions.builder(dir).fsync(false).build()));
  }

  @Test
  void failsTheNthCallOnly() {
    FaultyObjectStore s = store().failCall(2, ErrorKind.THROTTLED);
    s.put("a", new byte[] {1});
    ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> s.put("b", new byte[] {1}));
    assertEquals(ErrorKind.THROTTLED, e.kind());
    assertTrue(e.retryable());
    assertTrue(s.stat("b").isEmpty());
    s.put("b", new byte[] {1});
    assertTrue(s.stat("b").isPresent());
  }

  @Test
  void failsAfterThePutWasStored() {
    FaultyObjectStore s = store().failAfterPut(1, ErrorKind.TIMEOUT);
    assertThrows(ObjectStoreException.class, () -> s.put("x", new byte[] {5}));
    assertTrue(s.stat("x").isPresent(), "stored although the caller saw a failure");
    assertFalse(s.putIfAbsent("x", new byte[] {6}));
  }

  @Test
  void corruptsOneByteOnRead() throws IOException {
    FaultyObjectStore s = store();
    byte[] body = new byte[1000];
    s.put("c", body);
    s.corruptByteOnRead(700);
    byte[] read;
    try (InputStream in = s.get("c")) {
      read = in.readAllBytes();
    }
    assertEquals(1, read[700]);
    read[700] = 0;
    assertArrayEquals(body, read);
    try (InputStream in = s.get("c", 650, 100)) {
      assertEquals(1, in.readAllBytes()[50]);
    }
  }

  @Test
  void addsLatency() {
    FaultyObjectStore s = store().latency(Duration.ofMillis(30));
    long t0 = System.nanoTime();
    s.stat("none");
    assertTrue(System.nanoTime() - t0 >= 30_000_000L);
    assertEquals(1, s.calls());
    assertTrue(Files.isDirectory(dir));
  }
}
