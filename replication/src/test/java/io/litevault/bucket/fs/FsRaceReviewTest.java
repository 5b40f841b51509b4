package io.litevault.bucket.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.ObjectStoreException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Third hostile review: several stores (as several processes) on one root, racing on overlapping keys. */
class FsRaceReviewTest {
  @TempDir Path root;

  @AfterEach
  void noObserver() {
    Fsync.observer = null;
  }

  private FileSystemObjectStore store(boolean fsync) {
    return FileSystemObjectStore.create(FileSystemOptions.builder(root).fsync(fsync).build());
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] read(ObjectStore s, String key) throws Exception {
    try (InputStream in = s.get(key)) {
      return in.readAllBytes();
    }
  }

  /**
   * Store A made d/ and d/e/ durable once and remembers it. Another process (store B) deletes the last key
   * there, pruning both, and puts again: it makes d/ (syncs the root), makes d/e/ and is about to fsync d/.
   * A put by A into d/e/ now skips the directories it "knows" are durable, renames, fsyncs d/e/ and returns:
   * d/e/'s entry in d/ has not been fsynced by anyone. A power loss now (or B killed at this point, so that
   * nobody ever syncs d/) loses A's acknowledged object.
   */
  @Test
  void aPutReturnsBeforeTheDirectoryAnotherStoreRecreatedIsDurable() throws Exception {
    FileSystemObjectStore a = store(true);
    FileSystemObjectStore b = store(true);
    a.put("d/e/x", b("x")); // A's cache: d and d/e durable
    b.delete("d/e/x"); // prunes d/e and d
    assertFalse(Files.exists(root.resolve("d")));

    Path d = root.resolve("d");
    CountDownLatch bInSync = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<Thread> bThread = new AtomicReference<>();
    Thread main = Thread.currentThread();
    List<Path> mainSyncs = Collections.synchronizedList(new ArrayList<>());
    Fsync.observer = p -> {
      if (Thread.currentThread() == bThread.get() && p.equals(d)) {
        bInSync.countDown(); // B made d/e and is about to fsync d: not durable yet
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (Thread.currentThread() == main) {
        mainSyncs.add(p);
      }
    };
    Thread t = new Thread(() -> b.put("d/e/z", b("z")));
    bThread.set(t);
    t.start();
    try {
      assertTrue(bInSync.await(10, TimeUnit.SECONDS));
      a.put("d/e/y", b("y")); // returns: acknowledged
      boolean dSynced = mainSyncs.contains(d);
      release.countDown();
      t.join(10_000);
      assertTrue(dSynced, "A's put of d/e/y returned while d/e's entry in d was made by B and fsynced by no one "
          + "(B still before its fsync of d); A synced only " + mainSyncs);
    } finally {
      release.countDown();
      t.join(10_000);
    }
  }

  /** delete of a key with a too-long segment is a no-op (documented); deleteAll of the same key throws. */
  @Test
  void deleteAllOfAKeyNoFileCanHaveIsIdempotentLikeDelete() {
    FileSystemObjectStore s = store(false);
    s.put("k/x", b("1"));
    String tooLong = "k/" + "s".repeat(256);
    s.delete(tooLong);
    try {
      s.deleteAll(List.of("k/x", tooLong));
    } catch (RuntimeException e) {
      fail("deleteAll of a key that cannot exist must succeed like delete (idempotent), got " + e);
    }
    assertFalse(s.stat("k/x").isPresent());
  }

  private static Object attempt(Callable<Object> c) {
    try {
      return c.call();
    } catch (ObjectStoreException e) {
      return e;
    } catch (Exception e) {
      return e;
    }
  }

  /**
   * Three stores put a, a/b and a/b/c (same round prefix) at once. Every acknowledged put must be readable
   * with its bytes, at most a prefix-free set is acknowledged, every failure is KEY_CONFLICT, and at least one
   * wins (all three refused while nothing is stored would be a bug).
   */
  @Test
  void objectAndPrefixFromThreeStoresAtOnce() throws Exception {
    for (boolean fsync : new boolean[] {false, true}) {
      FileSystemObjectStore[] s = {store(fsync), store(fsync), store(fsync)};
      ExecutorService ex = Executors.newFixedThreadPool(3);
      try {
        int rounds = fsync ? 60 : 300;
        for (int i = 0; i < rounds; i++) {
          String p = "r" + fsync + i + "/";
          String[] keys = {p + "a", p + "a/b", p + "a/b/c"};
          byte[][] bodies = new byte[3][];
          for (int k = 0; k < 3; k++) {
            bodies[k] = new byte[5000 + k * 7000 + i];
            java.util.Arrays.fill(bodies[k], (byte) (k + 1));
          }
          CyclicBarrier go = new CyclicBarrier(3);
          List<Future<Object>> fs = new ArrayList<>();
          for (int k = 0; k < 3; k++) {
            int kk = k;
            fs.add(ex.submit(() -> {
              go.await();
              return attempt(() -> {
                if (kk == 1) {
                  return s[kk].putIfAbsent(keys[kk], bodies[kk]) ? "ok" : "false";
                }
                s[kk].put(keys[kk], new ByteArrayInputStream(bodies[kk]), kk == 2 ? ObjectStore.UNKNOWN_LENGTH
                    : bodies[kk].length);
                return "ok";
              });
            }));
          }
          Object[] r = new Object[3];
          int won = 0;
          for (int k = 0; k < 3; k++) {
            r[k] = fs.get(k).get();
            if ("ok".equals(r[k])) {
              won++;
              assertArrayEquals(bodies[k], read(s[0], keys[k]), i + ": acknowledged " + keys[k] + " reads back");
            } else if (r[k] instanceof ObjectStoreException e) {
              assertEquals(ErrorKind.KEY_CONFLICT, e.kind(), i + ": " + keys[k] + ": " + e);
            } else {
              fail(i + ": " + keys[k] + ": " + r[k]);
            }
          }
          assertEquals(1, won, i + ": exactly one of a, a/b, a/b/c can be held: " + java.util.Arrays.toString(r));
          List<String> listed = s[1].list(p).map(ObjectInfo::key).toList();
          assertEquals(1, listed.size(), i + ": " + listed);
        }
      } finally {
        ex.shutdownNow();
      }
    }
  }

  /**
   * Four stores putIfAbsent the same key while a fifth puts its parent (clearing a tree, removing their
   * temporary files). Exactly one create-only caller may get true unless the parent won, and the stored
   * body is the winner's.
   */
  @Test
  void createOnlyCallersRacingAParentPut() throws Exception {
    int n = 5;
    FileSystemObjectStore[] s = new FileSystemObjectStore[n];
    for (int k = 0; k < n; k++) {
      s[k] = store(false);
    }
    ExecutorService ex = Executors.newFixedThreadPool(n);
    try {
      for (int i = 0; i < 300; i++) {
        String p = "q" + i + "/";
        CyclicBarrier go = new CyclicBarrier(n);
        List<Future<Object>> fs = new ArrayList<>();
        for (int k = 0; k < n; k++) {
          int kk = k;
          fs.add(ex.submit(() -> {
            go.await();
            return attempt(() -> {
              if (kk == 0) {
                s[0].put(p + "a", b("parent"));
                return "ok";
              }
              return s[kk].putIfAbsent(p + "a/b", b("w" + kk));
            });
          }));
        }
        Object[] r = new Object[n];
        for (int k = 0; k < n; k++) {
          r[k] = fs.get(k).get();
        }
        String rs = java.util.Arrays.toString(r);
        int trues = 0;
        int winner = -1;
        for (int k = 1; k < n; k++) {
          if (Boolean.TRUE.equals(r[k])) {
            trues++;
            winner = k;
          } else if (r[k] instanceof ObjectStoreException e) {
            assertEquals(ErrorKind.KEY_CONFLICT, e.kind(), i + ": " + rs);
          } else if (!Boolean.FALSE.equals(r[k])) {
            fail(i + ": " + rs);
          }
        }
        boolean parentWon = "ok".equals(r[0]);
        if (!parentWon) {
          assertTrue(r[0] instanceof ObjectStoreException e && e.kind() == ErrorKind.KEY_CONFLICT, i + ": " + rs);
        }
        assertEquals(parentWon ? 0 : 1, trues, i + ": " + rs);
        if (parentWon) {
          assertArrayEquals(b("parent"), read(s[1], p + "a"), i + "");
          for (int k = 1; k < n; k++) {
            assertFalse(Boolean.FALSE.equals(r[k]), i + ": false although no a/b was ever held: " + rs);
          }
        } else {
          assertArrayEquals(b("w" + winner), read(s[1], p + "a/b"), i + ": " + rs);
        }
      }
    } finally {
      ex.shutdownNow();
    }
  }

  /**
   * One store deletes thousands of keys in d/ (and d/x/) with deleteAll while another puts new keys there:
   * every acknowledged put survives, and no put fails.
   */
  @Test
  void deleteAllWhilePutsLandInTheSameDirectories() throws Exception {
    FileSystemObjectStore deleter = store(false);
    FileSystemObjectStore writer = store(false);
    ExecutorService ex = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 2; round++) {
        List<String> old = new ArrayList<>();
        for (int j = 0; j < 1000; j++) {
          String k = (j % 2 == 0 ? "d/" : "d/x/") + "old" + round + "-" + j;
          writer.put(k, b(k));
          old.add(k);
        }
        int rr = round;
        Future<Object> del = ex.submit(() -> attempt(() -> {
          for (int rep = 0; rep < 2; rep++) {
            deleter.deleteAll(old);
          }
          return "ok";
        }));
        Future<List<Object>> put = ex.submit(() -> {
          List<Object> results = new ArrayList<>();
          for (int j = 0; j < 200; j++) {
            String k = (j % 2 == 0 ? "d/x/" : "d/") + "new" + rr + "-" + j;
            results.add(attempt(() -> {
              writer.put(k, b(k));
              return k;
            }));
          }
          return results;
        });
        assertEquals("ok", del.get());
        for (Object o : put.get()) {
          if (!(o instanceof String k)) {
            fail("round " + round + ": a put failed: " + o);
            return;
          }
          assertArrayEquals(b(k), read(deleter, k));
        }
        for (String k : old) {
          assertFalse(deleter.stat(k).isPresent(), k);
        }
        deleter.deleteAll(deleter.list("").map(ObjectInfo::key).toList());
      }
    } finally {
      ex.shutdownNow();
    }
  }

  /**
   * Blocks store A's put of {@code k} right after its rename (in the fsync of k's directory), lets {@code meanwhile}
   * run, then lets A finish; returns what A's put returned or threw.
   */
  private Object putInterruptedAfterRename(FileSystemObjectStore a, String k, byte[] body, Runnable meanwhile)
      throws Exception {
    Path dir = root.resolve(k).getParent();
    CountDownLatch renamed = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<Thread> aThread = new AtomicReference<>();
    Fsync.observer = p -> {
      if (Thread.currentThread() == aThread.get() && p.equals(dir) && renamed.getCount() > 0) {
        renamed.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    AtomicReference<Object> result = new AtomicReference<>();
    Thread t = new Thread(() -> result.set(attempt(() -> a.put(k, body))));
    aThread.set(t);
    t.start();
    try {
      assertTrue(renamed.await(10, TimeUnit.SECONDS));
      meanwhile.run();
    } finally {
      release.countDown();
      t.join(10_000);
      Fsync.observer = null;
    }
    return result.get();
  }

  /**
   * A put's result describes its own object: store B replaces the key right after A's rename, and A's
   * PutResult reports B's size and entity tag (it stats the path after the rename). Copier checks
   * {@code r.size()} against what it streamed.
   */
  @Test
  void aPutResultDescribesAnotherWritersObject() throws Exception {
    FileSystemObjectStore a = store(true);
    FileSystemObjectStore other = store(true);
    a.put("k/v", b("old"));
    byte[] mine = b("mine: 12 bytes".substring(0, 12));
    Object r = putInterruptedAfterRename(a, "k/v", mine, () -> other.put("k/v", b("the other writer's 33-byte body..")));
    assertTrue(r instanceof io.litevault.bucket.PutResult, "" + r);
    assertEquals(mine.length, ((io.litevault.bucket.PutResult) r).size(), "A's PutResult: " + r);
  }

  /**
   * A put whose object was in place when another store deleted it (a delete concurrent with the put) fails with
   * a non-retryable OTHER "NoSuchFileException" although it did its work: it stats the path after the rename.
   */
  @Test
  void aPutThatPlacedItsObjectFailsWhenAConcurrentDeleteRemovesIt() throws Exception {
    FileSystemObjectStore a = store(true);
    FileSystemObjectStore other = store(true);
    Object r = putInterruptedAfterRename(a, "k/v", b("body"), () -> other.delete("k/v"));
    assertTrue(r instanceof io.litevault.bucket.PutResult, "the put placed its object, then failed: " + r);
  }

  /**
   * The entity tag is "used only to tell two versions apart" (ObjectInfo), and the backup skips an object whose
   * size, tag and time match its index. The file store's tag is size, mtime in ms and the inode's hash: a put
   * frees the replaced object's inode, and ext4 hands it to the next temporary file, so two versions of equal
   * size written within one clock tick get the same tag.
   */
  @Test
  @org.junit.jupiter.api.Disabled("Known limitation, not fixed: a file's entity tag comes from its inode, size and "
      + "modification time, and ext4 reuses a freed inode within one clock tick. No attribute the JDK reads tells two "
      + "such versions apart; a content hash would cost a read at every listing. Harmless for Litevault's own keys, "
      + "which are never rewritten with other bytes (docs/OBJECTSTORE.md)")
  void twoVersionsOfAKeyCanShareAnEntityTag() {
    FileSystemObjectStore s = store(false);
    java.util.Map<String, String> bodyByTag = new java.util.HashMap<>();
    for (int i = 0; i < 2000; i++) {
      String body = String.format("%08d", i);
      String tag = s.put("k", b(body)).etag();
      String earlier = bodyByTag.put(tag, body);
      if (earlier != null) {
        ObjectInfo now = s.stat("k").orElseThrow();
        fail("versions '" + earlier + "' and '" + body + "' of k share the entity tag " + tag + " (stat: " + now
            + ")");
      }
    }
  }
}
