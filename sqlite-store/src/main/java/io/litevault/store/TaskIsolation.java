package io.litevault.store;

/**
 * How the writer keeps one failing task of a batch from failing the others.
 *
 * <p>Both modes commit a drained batch as ONE transaction; they differ in what a failure costs.
 * Measured in {@code benchmarks/RESULTS.md} (WriteBenchmark, param {@code isolation}).
 */
public enum TaskIsolation {
  /**
   * Each task runs inside its own {@code SAVEPOINT}; a task that throws is rolled back to its
   * savepoint alone and the rest of the batch commits. Every task runs exactly once, with one
   * exception: when the batch's COMMIT fails on a deferred foreign key constraint ({@code DEFERRABLE
   * INITIALLY DEFERRED}, checked only at COMMIT), SQLite does not say which task left it violated, so
   * the batch is rolled back and its tasks run again, each in a transaction of its own; the one whose
   * COMMIT fails gets the error. A schema without deferred foreign keys never sees this. The default.
   */
  SAVEPOINT,
  /**
   * Tasks run without savepoints. When one throws, the whole transaction is rolled back, the failing
   * task's future fails, and the batch is replayed without it. Cheaper when tasks rarely fail, but
   * <strong>a task may run more than once</strong>, so its side effects outside the database must be
   * idempotent.
   */
  REPLAY
}
