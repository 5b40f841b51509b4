package io.litevault.ttl;

/**
 * Told about every purge run of a {@link TtlCleaner}, scheduled or on demand, after it ended. Called on
 * the thread that ran the purge; a listener that throws is logged and does not affect the others.
 */
@FunctionalInterface
public interface PurgeListener {
  void onPurge(PurgeReport report);
}
