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
   * savepoint alone and the rest of the batch commits. Every task runs exactly once. The default.
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
