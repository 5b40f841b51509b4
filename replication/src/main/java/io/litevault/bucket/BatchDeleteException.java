package io.litevault.bucket;

import java.util.List;
import java.util.Map;

/**
 * Some keys of a batch delete were not deleted. The other keys of the batch were. {@link #failures()}
 * maps each key that failed to the server's error code.
 */
public final class BatchDeleteException extends ObjectStoreException {
  private static final long serialVersionUID = 1L;

  private final transient Map<String, String> failures;

  public BatchDeleteException(String store, Map<String, String> failures) {
    super(ErrorKind.OTHER, "deleteAll", null,
        "deleteAll in " + store + ": " + failures.size() + " key(s) not deleted, first: "
            + failures.entrySet().iterator().next(), null);
    this.failures = Map.copyOf(failures);
  }

  /** Key → the server's error code, for every key that was not deleted. */
  public Map<String, String> failures() {
    return failures;
  }

  /** The keys that were not deleted. */
  public List<String> failedKeys() {
    return List.copyOf(failures.keySet());
  }
}
