package io.litevault.bucket.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectInfo;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A put in progress whose temporary file another store removes (clearing a tree that holds no object, so
 * that a key can be put where only empty directories and temporary files were) writes its body again from
 * the still-open file and lands whole.
 */
class FsPutRestageTest {
  @TempDir Path root;

  private FileSystemObjectStore store(boolean fsync) {
    return FileSystemObjectStore.create(FileSystemOptions.builder(root).fsync(fsync).build());
  }

  /** A body that, half-way, lets another store put and delete the key {@code t}: our temp file and t/ go. */
  private static InputStream bodyRacingWith(FileSystemObjectStore other, byte[] body) {
    return new ByteArrayInputStream(body) {
      boolean fired;

      @Override
      public synchronized int read(byte[] b, int off, int len) {
        if (!fired && pos > 0) {
          fired = true;
          other.put("t", "other".getBytes(StandardCharsets.UTF_8)); // removes t/%tmp-…, then t/
          other.delete("t");
        }
        return super.read(b, off, Math.min(len, 1000));
      }
    };
  }

  @Test
  void aPutWhoseTempFileIsRemovedWritesItAgain() throws Exception {
    for (boolean fsync : new boolean[] {false, true}) {
      FileSystemObjectStore mine = store(fsync);
      byte[] body = new byte[10_000];
      for (int i = 0; i < body.length; i++) {
        body[i] = (byte) i;
      }
      mine.put("t/x", bodyRacingWith(store(false), body), body.length);
      try (InputStream in = mine.get("t/x")) {
        assertArrayEquals(body, in.readAllBytes(), "fsync " + fsync);
      }
      assertEquals(List.of("t/x"), mine.list("").map(ObjectInfo::key).toList());
      try (var left = Files.list(root.resolve("t"))) {
        assertFalse(left.anyMatch(p -> p.getFileName().toString().contains("%tmp-")), "no temp file left");
      }
      mine.delete("t/x");
      assertTrue(Files.notExists(root.resolve("t")));
    }
  }
}
