package io.litevault.backup;

import io.litevault.bucket.ObjectInfo;
import io.litevault.replication.format.BucketLayout;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which candidate source a run copies from, decided from their listings alone (no key, no object body:
 * the objects may be encrypted).
 *
 * <p>Per database (the prefix {@link BucketLayout#locate} finds), a source's freshness is the newest
 * {@code lastModified} among its snapshots and segments. Leases are left out (renewed while the database
 * is idle), and so are compacted ranges (written later, from data already there). A source is fresh for
 * a database when that time is at least the newest over every listed source minus the tolerance; a
 * database missing from a source is not fresh there. The choice is the source fresh for the most
 * databases, ties going to the earlier source (the preferred one first): with no real lag nothing moves.
 * A candidate whose listing failed ({@code null}) is never chosen.
 */
final class SourceChoice {
  private SourceChoice() {}

  /** Per database prefix, the newest time of its snapshots and segments in one listing. */
  static Map<String, Instant> newestPerDatabase(String prefix, List<ObjectInfo> listing) {
    Map<String, Instant> newest = new HashMap<>();
    for (ObjectInfo o : listing) {
      String rel = o.key().substring(prefix.length());
      if (rel.startsWith(CopyPlan.META)) {
        continue;
      }
      BucketLayout.locate(rel).filter(l -> l.kind() == BucketLayout.Kind.SNAPSHOT || l.kind() == BucketLayout.Kind.SEGMENT)
          .ifPresent(l -> newest.merge(l.databasePrefix(), o.lastModified(), (a, b) -> a.isAfter(b) ? a : b));
    }
    return newest;
  }

  /**
   * The choice among candidates in preference order.
   *
   * @param newest per candidate, {@link #newestPerDatabase}; {@code null} for one whose listing failed
   * @return the index chosen and each candidate's count of fresh databases ({@code -1} for a failed one)
   * @throws IllegalArgumentException if every candidate failed
   */
  static Result choose(List<Map<String, Instant>> newest, Duration tolerance) {
    Map<String, Instant> best = new HashMap<>();
    for (Map<String, Instant> m : newest) {
      if (m != null) {
        m.forEach((db, t) -> best.merge(db, t, (a, b) -> a.isAfter(b) ? a : b));
      }
    }
    List<Integer> fresh = new ArrayList<>();
    int chosen = -1;
    for (int i = 0; i < newest.size(); i++) {
      Map<String, Instant> m = newest.get(i);
      if (m == null) {
        fresh.add(-1);
        continue;
      }
      int n = 0;
      for (Map.Entry<String, Instant> e : best.entrySet()) {
        Instant t = m.get(e.getKey());
        if (t != null && !t.isBefore(e.getValue().minus(tolerance))) {
          n++;
        }
      }
      fresh.add(n);
      if (chosen < 0 || n > fresh.get(chosen)) {
        chosen = i;
      }
    }
    if (chosen < 0) {
      throw new IllegalArgumentException("no candidate source could be listed");
    }
    return new Result(chosen, List.copyOf(fresh), best.size());
  }

  /**
   * @param chosen the index of the source to copy from
   * @param freshDatabases per candidate, how many databases it is fresh for ({@code -1}: not listed)
   * @param databases how many databases the listed candidates hold between them
   */
  record Result(int chosen, List<Integer> freshDatabases, int databases) {}
}
