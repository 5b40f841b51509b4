package io.litevault.backup;

import io.litevault.bucket.ObjectInfo;
import io.litevault.replication.format.BucketLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * What one run must do, computed from the upstream listing, the tier listing and the tier's index (keys
 * relative to their prefixes):
 * <ul>
 *   <li>{@link #first}: new or changed objects that nothing else depends on being present — application
 *       files and database snapshots ({@code .lvsn}) — copied in parallel;
 *   <li>{@link #segmentChains}: new segments ({@code .lvsg}) by lineage, each chain in ascending key
 *       (= txid) order, so a lineage in the tier is always its snapshot plus an unbroken run of segments;
 *       copied after {@link #first}, one at a time per lineage, lineages in parallel;
 *   <li>{@link #deletes}: tier keys gone from upstream, in ascending key order (oldest segments first),
 *       done only after every copy succeeded.
 * </ul>
 * Excluded everywhere: keys under {@code _litevault/} (a tier's own index and manifest). Excluded from
 * source copies: the lease of every replicated database (its generations {@code <db>/leases/<16 hex>}, and
 * the single {@code <db>/lease} of older versions beside a {@code lineages/} directory holding snapshots
 * or segments). The lease changes on every renewal, so
 * copying it would cost a copy per run for nothing; it names the live replicating process, which must never
 * be confused with a backup; and restore does not read it.
 */
final class CopyPlan {
  static final String META = "_litevault/";

  /** One object to copy: its key relative to the prefixes, and what the upstream listing said of it. */
  record Item(String relKey, ObjectInfo source) {}

  final List<Item> first = new ArrayList<>();
  final Map<String, List<Item>> segmentChains = new TreeMap<>();
  final List<String> deletes = new ArrayList<>();
  /** Index entries for keys in neither listing. */
  final List<String> staleIndexEntries = new ArrayList<>();
  long skipped;
  long skippedLeases;
  /** The upstream's keys that a run mirrors (no leases, nothing under {@link #META}), relative. */
  Set<String> upstreamKeys = Set.of();
  /** The tier's keys (nothing under {@link #META}), relative. */
  Set<String> tierKeys = Set.of();

  int copies() {
    return first.size() + segmentChains.values().stream().mapToInt(List::size).sum();
  }

  static CopyPlan of(String upstreamPrefix, List<ObjectInfo> upstream, String tierPrefix, List<ObjectInfo> tier,
      TierIndex index, Set<String> indexKeys, boolean fromSource) {
    Map<String, ObjectInfo> up = relative(upstreamPrefix, upstream);
    Map<String, ObjectInfo> have = relative(tierPrefix, tier);
    CopyPlan plan = new CopyPlan();
    if (fromSource) {
      // Leases (every generation, and the single lease of older versions) of the databases replicated here.
      Set<String> databases = databases(up.keySet());
      for (java.util.Iterator<String> it = up.keySet().iterator(); it.hasNext(); ) {
        Optional<BucketLayout.Located> k = BucketLayout.locate(it.next());
        if (k.isPresent() && isLease(k.get().kind()) && databases.contains(k.get().databasePrefix())) {
          it.remove();
          plan.skippedLeases++;
        }
      }
    }
    for (Map.Entry<String, ObjectInfo> e : up.entrySet()) {
      String rel = e.getKey();
      ObjectInfo src = e.getValue();
      if (unchanged(src, index.get(rel), have.get(rel))) {
        plan.skipped++;
        continue;
      }
      Item item = new Item(rel, src);
      Optional<BucketLayout.Located> k = BucketLayout.locate(rel);
      if (k.isPresent() && k.get().kind() == BucketLayout.Kind.SEGMENT) {
        String lineage = rel.substring(0, rel.lastIndexOf("segments/")); // <db>/lineages/<lineage>/
        plan.segmentChains.computeIfAbsent(lineage, x -> new ArrayList<>()).add(item);
      } else {
        plan.first.add(item);
      }
    }
    for (String rel : have.keySet()) {
      if (!up.containsKey(rel)) {
        plan.deletes.add(rel);
      }
    }
    for (String rel : indexKeys) {
      if (!up.containsKey(rel) && !have.containsKey(rel)) {
        plan.staleIndexEntries.add(rel);
      }
    }
    plan.upstreamKeys = Set.copyOf(up.keySet());
    plan.tierKeys = Set.copyOf(have.keySet());
    return plan;
  }

  /** Unchanged: indexed with the listed size, entity tag and time, and still in the tier with that size. */
  static boolean unchanged(ObjectInfo src, TierIndex.Entry indexed, ObjectInfo inTier) {
    return indexed != null && inTier != null && !indexed.sourceEtag().isEmpty()
        && indexed.size() == src.size() && inTier.size() == src.size()
        && indexed.sourceEtag().equals(src.etag())
        && indexed.sourceModifiedMillis() == src.lastModified().toEpochMilli();
  }

  private static boolean isLease(BucketLayout.Kind kind) {
    return kind == BucketLayout.Kind.LEASE_GENERATION || kind == BucketLayout.Kind.LEGACY_LEASE;
  }

  /** The prefixes ({@code ""} for the root) of the replicated databases found in a listing: those with data. */
  private static Set<String> databases(Iterable<String> relKeys) {
    Set<String> out = new HashSet<>();
    for (String rel : relKeys) {
      BucketLayout.locate(rel).filter(k -> !isLease(k.kind())).ifPresent(k -> out.add(k.databasePrefix()));
    }
    return out;
  }

  private static Map<String, ObjectInfo> relative(String prefix, List<ObjectInfo> listing) {
    Map<String, ObjectInfo> m = new LinkedHashMap<>();
    for (ObjectInfo o : listing) {
      String rel = o.key().substring(prefix.length());
      if (!rel.startsWith(META)) {
        m.put(rel, o);
      }
    }
    return m;
  }
}
