package io.litevault.store;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer thread outlives what tasks do to it; if it dies anyway, writes say so at once. */
class WriterSurvivalTest {
  @TempDir Path dir;

  @Test
  void aTaskThatSetsTheInterruptFlagDoesNotStopTheWriter() throws Exception {
    try (SqliteStore store = SqliteStore.builder(dir).database("data", Kv.options().build()).open()) {
      Database db = store.database("data");
      db.writeAndWait(Kv.insert(1, 1));
      // A task that caught an InterruptedException and re-set the flag, as the JDK advises.
      CompletableFuture<Void> interrupting = db.write(c -> {
        Kv.insert(2, 2).execute(c);
        Thread.currentThread().interrupt();
        return null;
      });
      interrupting.get(30, TimeUnit.SECONDS); // its work was done: it commits
      for (int i = 10; i < 20; i++) {
        db.write(Kv.insert(i, i)).get(30, TimeUnit.SECONDS);
      }
      // and one that throws with the flag set fails only itself
      CompletableFuture<Void> throwing = db.write(c -> {
        Thread.currentThread().interrupt();
        throw new InterruptedException("the task's own");
      });
      ExecutionException e = assertThrows(ExecutionException.class, () -> throwing.get(30, TimeUnit.SECONDS));
      assertInstanceOf(WriteFailedException.class, e.getCause());
      db.write(Kv.insert(3, 3)).get(30, TimeUnit.SECONDS);
      assertEquals(13, db.read(Kv::count));
      DatabaseHealth health = db.health();
      assertTrue(health.writerAlive(), health.toString());
      assertTrue(health.healthy(), health.toString());
    }
  }

  @Test
  void whenTheWriterDiesAnywayWritesFailAtOnceAndHealthAgrees() throws Exception {
    AtomicBoolean broken = new AtomicBoolean();
    // An error handler that throws an Error is the one way out of the writer's loop left.
    DatabaseOptions options = Kv.options().errorHandler((db, where, t) -> {
      if (broken.get()) {
        throw new AssertionError("a broken error handler");
      }
    }).build();
    try (SqliteStore store = SqliteStore.builder(dir).database("data", options).open()) {
      Database db = store.database("data");
      db.addCommitListener(event -> {
        if (broken.get()) {
          throw new IllegalStateException("listener fails");
        }
      });
      db.writeAndWait(Kv.insert(1, 1));
      broken.set(true);
      CompletableFuture<Void> killing = db.write(Kv.insert(2, 2));
      assertThrows(ExecutionException.class, () -> killing.get(30, TimeUnit.SECONDS));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (db.health().writerAlive() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      DatabaseHealth health = db.health();
      assertFalse(health.writerAlive(), health.toString());
      assertFalse(health.acceptingWrites(), "a dead writer accepts nothing: " + health);
      assertFalse(health.healthy());
      WriterDeadException dead = assertThrows(WriterDeadException.class, () -> db.write(Kv.insert(3, 3)));
      assertEquals("data", dead.database());
      assertTrue(dead.getMessage().contains("writer thread"), dead.getMessage());
      assertInstanceOf(AssertionError.class, dead.getCause());
      assertEquals(Long.valueOf(1), db.read(c -> Kv.get(c, 1)), "reads still work");
    }
  }
}
