package io.litevault.backup;

import io.litevault.replication.format.BucketLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a run must not do without an explicit {@link BackupOptions#allowDestructiveRun()}: the checks are
 * made on the {@link CopyPlan} before the first copy, so a refused run leaves the tier untouched.
 * <ul>
 *   <li>its upstream lists nothing (a mistyped prefix, an empty or wrong bucket);
 *   <li>the tier would end with fewer objects than {@code 1 - maxLossShare} of those it holds — net of
 *       the copies, since a normal run replaces what retention removed with what was written since (a
 *       2-week tier fed from a week of history turns over nearly all its objects in a normal run);
 *   <li>the newest lineage of a database in the tier would be deleted while the upstream holds no lineage
 *       of that database at least as new: the database vanished, or the upstream is an older or another
 *       copy. Retention retiring an old lineage after a newer one started is not refused.
 * </ul>
 */
final class RunGuard {
  private RunGuard() {}

  /** Throws if the plan must be refused; {@code upstream} and {@code tier} are relative keys. */
  static void check(String what, Set<String> upstream, Set<String> tier, CopyPlan plan, double maxLossShare,
      String tierName) {
    String then = " Nothing was copied or deleted; the tier '" + tierName + "' is as it was. If this is what you "
        + "want, allow a destructive run explicitly for this one run.";
    if (upstream.isEmpty()) {
      throw new BackupRefusedException(BackupRefusedException.Reason.EMPTY_SOURCE, what + " lists nothing"
          + (tier.isEmpty() ? "" : ", and the run would delete all " + tier.size() + " objects of the tier")
          + ": check the bucket and prefix (a typo?)." + then, null);
    }
    List<String> lost = lostLineages(upstream, tier);
    if (!lost.isEmpty()) {
      throw new BackupRefusedException(BackupRefusedException.Reason.LINEAGE_LOSS, "the run would delete "
          + (lost.size() == 1 ? "lineage " : lost.size() + " lineages: ") + String.join(", ", lost.subList(0,
          Math.min(5, lost.size()))) + (lost.size() > 5 ? ", ..." : "") + " — the newest the tier holds of its "
          + "database — and " + what + " has no newer lineage of it: is it the right source?" + then, null);
    }
    long after = tier.size() - plan.deletes.size() + newKeys(upstream, tier);
    long loss = tier.size() - after;
    if (loss > 0 && loss > maxLossShare * tier.size()) {
      throw new BackupRefusedException(BackupRefusedException.Reason.TOO_MUCH_LOSS, "the run would delete "
          + plan.deletes.size() + " of the " + tier.size() + " objects of the tier and copy " + newKeys(upstream, tier)
          + " new ones from " + what + ": the tier would shrink by " + percent((double) loss / tier.size())
          + ", more than the " + percent(maxLossShare) + " allowed." + then.replace("allow a destructive run",
          "raise the allowed share or allow a destructive run"), null);
    }
  }

  private static long newKeys(Set<String> upstream, Set<String> tier) {
    return upstream.stream().filter(k -> !tier.contains(k)).count();
  }

  private static String percent(double share) {
    return Math.round(share * 1000) / 10.0 + " %";
  }

  /** Per database (the prefix before {@code lineages/}): the tier's newest lineage, if upstream has none as new. */
  static List<String> lostLineages(Set<String> upstream, Set<String> tier) {
    Map<String, String> newestInTier = newest(tier);
    Map<String, String> newestUpstream = newest(upstream);
    List<String> lost = new ArrayList<>();
    newestInTier.forEach((db, lineage) -> {
      String up = newestUpstream.get(db);
      if (up == null || up.compareTo(lineage) < 0) {
        lost.add((db.isEmpty() ? "" : db + "/") + "lineages/" + lineage);
      }
    });
    return lost;
  }

  private static Map<String, String> newest(Set<String> keys) {
    Map<String, String> newest = new TreeMap<>();
    Set<String> seen = new HashSet<>();
    for (String k : keys) {
      BucketLayout.locate(k).filter(l -> l.parsed() != null).ifPresent(l -> {
        if (seen.add(l.databasePrefix() + "\n" + l.parsed().lineage())) {
          newest.merge(l.databasePrefix(), l.parsed().lineage(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
        }
      });
    }
    return newest;
  }
}
