package io.litevault.bucket.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStoreException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.*;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FsConcurrencyReviewTest {
  @TempDir Path root;

  @Test
  void overlappingKeysFromTwoThreads() throws Exception {
    FileSystemObjectStore s = FileSystemObjectStore.create(root);
    ExecutorService ex = Executors.newFixedThreadPool(3);
    try {
      for (int i = 0; i < 300; i++) {
        String p = "r" + i + "/";
        CyclicBarrier go = new CyclicBarrier(3);
        Callable<Object> lower = () -> { go.await(); try { s.put(p + "a/b/c", new byte[] {1}); return "ok"; } catch (ObjectStoreException e) { return e; } };
        Callable<Object> upper = () -> { go.await(); try { return s.putIfAbsent(p + "a/b", new byte[] {2}); } catch (ObjectStoreException e) { return e; } };
        Callable<Object> lister = () -> { go.await(); return s.list(p).map(ObjectInfo::key).toList(); };
        Future<Object> l = ex.submit(lower), u = ex.submit(upper), ls = ex.submit(lister);
        Object lo = l.get(), up = u.get();
        ls.get();
        List<String> keys = s.list(p).map(ObjectInfo::key).toList();
        boolean lowerOk = "ok".equals(lo), upperOk = Boolean.TRUE.equals(up);
        assertTrue(lowerOk ^ upperOk, i + ": exactly one wins: " + lo + " / " + up);
        assertTrue(up instanceof Boolean ? (Boolean) up : true, i + ": putIfAbsent false with no object there: " + keys);
        assertEquals(List.of(lowerOk ? p + "a/b/c" : p + "a/b"), keys, i + "");
      }
    } finally {
      ex.shutdownNow();
    }
  }
}
