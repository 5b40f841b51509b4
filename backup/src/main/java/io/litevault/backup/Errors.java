package io.litevault.backup;

import java.util.ArrayList;
import java.util.List;

/** A run's failures: counted all, the first {@link TierRunReport#MAX_ERRORS} kept as lines. Thread-safe. */
final class Errors {
  private final List<String> lines = new ArrayList<>();
  private int count;

  synchronized void add(String line) {
    count++;
    if (lines.size() < TierRunReport.MAX_ERRORS - 1) {
      lines.add(line);
    }
  }

  synchronized boolean isEmpty() {
    return count == 0;
  }

  synchronized List<String> lines() {
    List<String> out = new ArrayList<>(lines);
    if (count > lines.size()) {
      out.add("... " + (count - lines.size()) + " more errors (" + count + " in all)");
    }
    return out;
  }
}
