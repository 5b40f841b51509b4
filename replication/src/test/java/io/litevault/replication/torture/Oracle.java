package io.litevault.replication.torture;

import io.litevault.replication.restore.IntegrityCheck;
import io.litevault.bucket.ObjectInfo;
import io.litevault.bucket.ObjectStore;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestoreResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The checks after a schedule (and after each kill -9), against the bucket as it is, through an undecorated
 * store: restore the latest point and restore sampled acknowledged points, by replica txid and by timestamp,
 * always into fresh files; compare write logs and content hashes with what the workload recorded; integrity
 * on every restored file (run here, not by Restore, so a corrupt file is named with all its problems); the bucket's segments chain without overlap; no orphan files in work directories.
 */
final class Oracle {
  private static final Pattern SEGMENT = Pattern.compile(".*/lineages/([^/]+)/segments/([0-9a-f]{16})-([0-9a-f]{16})\\.lvsg");
  private static final Pattern SNAPSHOT = Pattern.compile(".*/lineages/([^/]+)/snapshots/([0-9a-f]{16})\\.lvsn");

  private final History h;
  private final ObjectStore store;
  private final String prefix;
  private final Path restores;
  private final SplittableRandom random;
  /** Only points whose last write was submitted after this are checked (retention may have removed older ones). */
  private final long safeSinceMillis;
  private final String label;
  private int count;

  /** {@code label} names this oracle's restore directories (several oracles judge one kill schedule). */
  Oracle(History h, ObjectStore store, String prefix, Path restores, Setup setup, long seed, String label) {
    this.h = h;
    this.label = label;
    this.store = store;
    this.prefix = prefix;
    this.restores = restores;
    this.random = new SplittableRandom(seed ^ 0x5DEECE66DL);
    this.safeSinceMillis = setup.shortRetention()
        ? System.currentTimeMillis() - setup.retention().toMillis() + 1000 : Long.MIN_VALUE;
  }

  private Path fresh(String name) throws IOException {
    Path dir = restores.resolve(label + name + "-" + (++count));
    Files.createDirectories(dir);
    return dir.resolve("restored.db");
  }

  /**
   * The latest point: every acknowledged REPLICATED write in it, its write log a state the database had,
   * and (after a clean close, {@code exact}) exactly the final state.
   */
  void latest(String check, boolean exact) throws Exception {
    Path out = fresh("latest");
    RestoreResult result;
    try {
      result = Restore.run(RestoreOptions.builder(store, prefix, out).integrityCheck(IntegrityCheck.NONE).build());
    } catch (RestoreException e) {
      if (e.kind() == RestoreException.Kind.NOTHING_TO_RESTORE && h.acked().isEmpty()) {
        return;
      }
      h.fail(check, "restore of the latest point failed (" + e.kind() + "): " + e.getMessage());
      return;
    }
    String at = "lineage " + result.lineage() + " txid " + result.txid();
    ContentHash.State st = restored(check, out, at);
    if (st == null) {
      return;
    }
    History.Branch cur = h.current();
    List<String> missing = new ArrayList<>();
    List<String> missingRolledBack = new ArrayList<>();
    for (History.Write w : h.acked()) {
      if (!st.tags().contains(w.tag)) {
        (cur.tags.contains(w.tag) ? missing : missingRolledBack).add(w.tag);
      }
    }
    if (!missing.isEmpty()) {
      h.fail(check, missing.size() + " REPLICATED-acknowledged write(s) missing from the latest restore (" + at + ", "
          + st.tags().size() + " writes through '" + st.lastTag() + "'); first missing: " + missing.get(0));
    }
    if (!missingRolledBack.isEmpty()) {
      h.fail("ROLLBACK", missingRolledBack.size() + " REPLICATED-acknowledged write(s) gone from the latest restore ("
          + at + ") after the local file was rolled back to an older copy (power loss): the replicator continued "
          + "from the older local file; first: " + missingRolledBack.get(0));
    }
    if (!h.isPrefixOfABranch(st.tags())) {
      h.fail(check, "the latest restore's write log (" + st.tags().size() + " writes through '" + st.lastTag() + "', "
          + at + ") is not a state the database ever had");
    }
    if (exact && !st.tags().equals(cur.tags)) {
      h.fail(check, "after a clean close the latest restore (" + at + ") holds " + st.tags().size() + " writes through '"
          + st.lastTag() + "' but the database " + cur.tags.size() + " through '"
          + (cur.tags.isEmpty() ? "" : cur.tags.get(cur.tags.size() - 1)) + "'");
    }
    compareContent(check, st, at);
  }

  /** Sampled points recorded through {@code positionOf}: restore by lineage and txid, exactly that state. */
  void pointsByTxid(int samples) throws Exception {
    List<History.Point> points = new ArrayList<>();
    for (History.Point p : h.points()) {
      History.Write last = h.write(p.state().lastTag());
      if (last != null && last.submitMillis > safeSinceMillis) {
        points.add(p);
      }
    }
    shuffle(points);
    for (History.Point p : points.subList(0, Math.min(samples, points.size()))) {
      Path out = fresh("txid");
      String at = "lineage " + p.lineage() + " txid " + p.replicaTxid() + " (store epoch " + p.state().epoch()
          + " txid " + p.state().txid() + ", after write '" + p.state().lastTag() + "')";
      try {
        Restore.run(RestoreOptions.builder(store, prefix, out).lineage(p.lineage()).txid(p.replicaTxid())
            .integrityCheck(IntegrityCheck.NONE).build());
      } catch (RestoreException e) {
        h.fail("PITR_TXID", "restore of " + at + " failed (" + e.kind() + "): " + e.getMessage());
        continue;
      }
      ContentHash.State st = restored("PITR_TXID", out, at);
      if (st == null) {
        continue;
      }
      List<String> want = h.prefixThrough(p.state().lastTag());
      if (want != null && !st.tags().equals(want)) {
        h.fail("PITR_TXID", "restore of " + at + " holds " + st.tags().size() + " writes through '" + st.lastTag()
            + "', expected " + want.size());
      } else if (p.state().hash() != null && !st.hash().equals(p.state().hash())) {
        h.fail("PITR_TXID", "restore of " + at + ": content hash " + st.hash().substring(0, 12) + ", the source had "
            + p.state().hash().substring(0, 12));
      }
    }
  }

  /**
   * Sampled timestamps just after an acknowledgement: the restore holds no write submitted after the time,
   * and every write of that time's branch acknowledged by then.
   */
  void pointsByTime(int samples) throws Exception {
    List<History.Write> acked = new ArrayList<>(h.acked().stream().filter(w -> w.submitMillis > safeSinceMillis).toList());
    shuffle(acked);
    for (History.Write w : acked.subList(0, Math.min(samples, acked.size()))) {
      long t = w.ackMillis + random.nextInt(50);
      Path out = fresh("time");
      String at = "time " + Instant.ofEpochMilli(t) + " (just after write '" + w.tag + "' was acknowledged)";
      try {
        Restore.run(RestoreOptions.builder(store, prefix, out).timestamp(Instant.ofEpochMilli(t))
            .integrityCheck(IntegrityCheck.NONE).build());
      } catch (RestoreException e) {
        h.fail("PITR_TIME", "restore at " + at + " failed (" + e.kind() + "): " + e.getMessage());
        continue;
      }
      ContentHash.State st = restored("PITR_TIME", out, at);
      if (st == null) {
        continue;
      }
      for (String tag : st.tags()) {
        History.Write x = h.write(tag);
        if (x != null && x.submitMillis > t) {
          h.fail("PITR_TIME", "restore at " + at + " holds write '" + tag + "', submitted " + (x.submitMillis - t)
              + " ms after that time");
          break;
        }
      }
      for (History.Write x : h.ackedIn(h.branchAt(t))) {
        if (x.ackMillis <= t && !st.tags().contains(x.tag)) {
          h.fail("PITR_TIME", "restore at " + at + " lacks write '" + x.tag + "', acknowledged " + (t - x.ackMillis)
              + " ms before that time (it holds " + st.tags().size() + " writes through '" + st.lastTag() + "')");
          break;
        }
      }
      if (!h.isPrefixOfABranch(st.tags())) {
        h.fail("PITR_TIME", "restore at " + at + ": its write log (" + st.tags().size() + " writes through '" + st.lastTag()
            + "') is not a state the database ever had");
      }
      compareContent("PITR_TIME", st, at);
    }
  }

  /** Every lineage's segments and snapshots cover consecutive txids, each exactly once, from its first snapshot on. */
  void bucketChains() {
    Map<String, TreeMap<Long, long[]>> lineages = new TreeMap<>();
    try (Stream<ObjectInfo> objects = store.list(prefix + "/lineages/")) {
      objects.forEach(o -> {
        Matcher m = SEGMENT.matcher(o.key());
        if (m.matches()) {
          long first = Long.parseUnsignedLong(m.group(2), 16);
          long[] prev = lineages.computeIfAbsent(m.group(1), k -> new TreeMap<>()).put(first, new long[] {first,
              Long.parseUnsignedLong(m.group(3), 16), 0});
          if (prev != null) {
            h.fail("BUCKET", "lineage " + m.group(1) + " holds two segments starting at txid " + first + ": "
                + first + "-" + prev[1] + " and " + first + "-" + Long.parseUnsignedLong(m.group(3), 16));
          }
          return;
        }
        m = SNAPSHOT.matcher(o.key());
        if (m.matches()) {
          long txid = Long.parseUnsignedLong(m.group(2), 16);
          lineages.computeIfAbsent(m.group(1), k -> new TreeMap<>()).putIfAbsent(txid, new long[] {txid, txid, 1});
        }
      });
    }
    for (Map.Entry<String, TreeMap<Long, long[]>> l : lineages.entrySet()) {
      long covered = -1;
      for (long[] o : l.getValue().values()) {
        if (covered < 0) {
          if (o[2] == 1) {
            covered = o[1];
          }
          continue; // older segments than the first snapshot left: retention's business
        }
        if (o[0] <= covered && o[2] == 0) {
          h.fail("BUCKET", "lineage " + l.getKey() + ": segment " + o[0] + "-" + o[1] + " overlaps txids up to " + covered
              + " already in the bucket (a transaction in two objects)");
        } else if (o[0] > covered + 1) {
          h.fail("BUCKET", "lineage " + l.getKey() + ": txids " + (covered + 1) + ".." + (o[0] - 1) + " are in no object");
        }
        covered = Math.max(covered, o[1]);
      }
    }
  }

  /** No temporary file survives a clean close. */
  void orphans(List<Path> dirs) throws IOException {
    for (Path d : dirs) {
      if (!Files.isDirectory(d)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(d)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          String n = f.getFileName().toString();
          if (n.endsWith(".tmp") || n.contains(".restoring-") || n.contains("%tmp-")) {
            h.fail("ORPHAN", "left after a clean close: " + d.getFileName() + "/" + d.relativize(f));
          }
        }
      }
    }
  }

  private ContentHash.State restored(String check, Path out, String at) {
    try {
      String integrity = ContentHash.integrity(out);
      if (!integrity.equals("ok")) {
        h.fail(check, "integrity_check of the restore of " + at + ": " + integrity);
        return null;
      }
      return ContentHash.read(out);
    } catch (java.sql.SQLException e) {
      h.fail(check, "the restore of " + at + " cannot be read by SQLite: " + e.getMessage());
      return null;
    }
  }

  private void compareContent(String check, ContentHash.State st, String at) {
    String want = h.hashAfter(st.lastTag());
    if (want != null && st.tags().equals(h.prefixThrough(st.lastTag())) && !want.equals(st.hash())) {
      h.fail(check, "the restore of " + at + " holds the writes through '" + st.lastTag() + "' but its content differs "
          + "from the source's then (hash " + st.hash().substring(0, 12) + ", source " + want.substring(0, 12) + ")");
    }
  }

  private <T> void shuffle(List<T> list) {
    for (int i = list.size() - 1; i > 0; i--) {
      Collections.swap(list, i, random.nextInt(i + 1));
    }
  }
}
