package io.litevault.replication.format;

import io.litevault.store.Names;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a replicated database's objects live under its prefix (docs/FORMAT.md). Everything a restore
 * needs is in these keys and the objects' bodies, never in object metadata, so a copy made by any S3
 * tool (a backup tier) restores the same way.
 *
 * <pre>
 * &lt;prefix&gt;/leases/&lt;generation&gt;                                the replicating process's lease (fenced)
 * &lt;prefix&gt;/lineages/&lt;lineage&gt;/snapshots/&lt;txid&gt;.lvsn            full database as of txid
 * &lt;prefix&gt;/lineages/&lt;lineage&gt;/segments/&lt;first&gt;-&lt;last&gt;.lvsg     transactions first..last
 * &lt;prefix&gt;/lineages/&lt;lineage&gt;/levels/&lt;LL&gt;/&lt;first&gt;-&lt;last&gt;.lvcr  their net effect, compacted at level LL
 * </pre>
 * A lineage ({@code 20261123T011234567Z-1f2e3d4c}: start time to the millisecond, then 8 random hex
 * digits; always sorting after every lineage already in the prefix) is one unbroken
 * chain of transactions starting with a snapshot; txids are 16 lower-case hex digits, so key order is
 * time and txid order.
 */
public final class BucketLayout {
  private static final DateTimeFormatter LINEAGE_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);
  public static final Pattern LINEAGE = Pattern.compile("\\d{8}T\\d{9}Z-[0-9a-f]{8}");
  private static final Pattern SNAPSHOT = Pattern.compile("([0-9a-f]{16})\\.lvsn");
  private static final Pattern SEGMENT = Pattern.compile("([0-9a-f]{16})-([0-9a-f]{16})\\.lvsg");
  private static final Pattern COMPACTED = Pattern.compile("([0-9]{2})/([0-9a-f]{16})-([0-9a-f]{16})\\.lvcr");
  private static final Pattern LEASE_GENERATION = Pattern.compile("(?:(.*)/)?leases/[0-9a-f]{16}");

  private final String prefix;

  public BucketLayout(String prefix) {
    this.prefix = Names.requirePrefix("replica prefix", prefix);
  }

  public String prefix() {
    return prefix;
  }

  /** The single lease object of Litevault versions before lease generations; honoured, never written. */
  public String legacyLease() {
    return prefix + "/lease";
  }

  /** The directory of the lease's generations. */
  public String leases() {
    return prefix + "/leases/";
  }

  /** One generation of the lease (see {@link Lease}). */
  public String leaseGeneration(long generation) {
    return leases() + hex(generation);
  }

  /** The prefix all lineages live under. */
  public String lineages() {
    return prefix + "/lineages/";
  }

  /** The prefix of one lineage's objects. */
  public String lineage(String lineage) {
    return lineages() + lineage + "/";
  }

  /** The prefix of a lineage's snapshots. */
  public String snapshots(String lineage) {
    return lineage(lineage) + "snapshots/";
  }

  /** The prefix of a lineage's segments. */
  public String segments(String lineage) {
    return lineage(lineage) + "segments/";
  }

  /** The prefix of a lineage's compacted ranges, all levels. */
  public String levels(String lineage) {
    return lineage(lineage) + "levels/";
  }

  /**
   * A key after every segment key of {@code lineage} starting at or before {@code txid} and before every
   * one starting after it: where a listing of the segments after {@code txid} starts.
   */
  public String segmentsAfter(String lineage, long txid) {
    return segments(lineage) + hex(txid) + "-ffffffffffffffff.lvsg";
  }

  public String snapshot(String lineage, long txid) {
    return lineage(lineage) + "snapshots/" + hex(txid) + ".lvsn";
  }

  public String segment(String lineage, long first, long last) {
    return lineage(lineage) + "segments/" + hex(first) + "-" + hex(last) + ".lvsg";
  }

  /**
   * A compacted range (docs/FORMAT.md, "Compacted range"): level as two decimal digits, so a listing of
   * {@code levels/} groups by level. Readers before compaction ignore these keys (they match none of
   * their patterns) and restore from the snapshots and segments, which are all still written.
   */
  public String compacted(String lineage, int level, long first, long last) {
    if (level < 1 || level > 99) {
      throw new IllegalArgumentException("compaction level must be in [1, 99], was " + level);
    }
    return lineage(lineage) + "levels/" + String.format(Locale.ROOT, "%02d", level) + "/" + hex(first) + "-" + hex(last)
        + ".lvcr";
  }

  /**
   * A new lineage id that sorts after {@code after} (the newest id in the prefix, or null), even when
   * the clock stepped back or two lineages start in the same millisecond: restore picks the last in order.
   */
  public static String newLineage(Instant now, String after) {
    Instant t = now;
    if (after != null) {
      Instant previous = java.time.LocalDateTime.parse(after.substring(0, 18),
          DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS", Locale.ROOT)).toInstant(ZoneOffset.UTC);
      if (!t.isAfter(previous)) {
        t = previous.plusMillis(1);
      }
    }
    return LINEAGE_TIME.format(t) + "-" + String.format("%08x", ThreadLocalRandom.current().nextInt());
  }

  public static String hex(long txid) {
    return String.format("%016x", txid);
  }

  /**
   * What a key under a lineage is.
   *
   * @param level 0 for a snapshot or a segment, 1 and up for a compacted range
   */
  public record Parsed(String lineage, boolean snapshot, long firstTxid, long lastTxid, int level) {
    /** A snapshot or a segment. */
    public Parsed(String lineage, boolean snapshot, long firstTxid, long lastTxid) {
      this(lineage, snapshot, firstTxid, lastTxid, 0);
    }

    public boolean compacted() {
      return level > 0;
    }
  }

  /** Parses a key of this layout; empty for anything else (the lease, foreign objects). */
  public Optional<Parsed> parse(String key) {
    return key.startsWith(prefix + "/") ? parseTail(key.substring(prefix.length() + 1)) : Optional.empty();
  }

  /** What an object of some database's layout is. */
  public enum Kind { SNAPSHOT, SEGMENT, COMPACTED, LEASE_GENERATION, LEGACY_LEASE }

  /**
   * A key found in a listing of many databases (a backup tier, a tool): the prefix of the database it
   * belongs to ({@code ""} when the listing's root is the database's prefix), what it is, and for a
   * snapshot or segment its lineage and txids (null for a lease).
   */
  public record Located(String databasePrefix, Kind kind, Parsed parsed) {}

  /**
   * Finds the database a key belongs to by the shape of its tail, the one rule backup and tools use to
   * read a bucket of many databases: {@code <db>/lineages/<lineage>/snapshots/<txid>.lvsn},
   * {@code <db>/lineages/<lineage>/segments/<first>-<last>.lvsg},
   * {@code <db>/lineages/<lineage>/levels/<LL>/<first>-<last>.lvcr}, {@code <db>/leases/<16 hex>} and the
   * legacy {@code <db>/lease}. Empty for anything else.
   */
  public static Optional<Located> locate(String key) {
    for (int i = key.lastIndexOf("lineages/"); i >= 0; i = i == 0 ? -1 : key.lastIndexOf("lineages/", i - 1)) {
      if (i == 0 || key.charAt(i - 1) == '/') {
        Optional<Parsed> p = parseTail(key.substring(i));
        if (p.isPresent()) {
          return Optional.of(new Located(i == 0 ? "" : key.substring(0, i - 1),
              p.get().snapshot() ? Kind.SNAPSHOT : p.get().compacted() ? Kind.COMPACTED : Kind.SEGMENT, p.get()));
        }
      }
    }
    Matcher lease = LEASE_GENERATION.matcher(key);
    if (lease.matches()) {
      return Optional.of(new Located(lease.group(1) == null ? "" : lease.group(1), Kind.LEASE_GENERATION, null));
    }
    if (key.equals("lease") || key.endsWith("/lease")) {
      return Optional.of(new Located(key.length() == 5 ? "" : key.substring(0, key.length() - 6), Kind.LEGACY_LEASE, null));
    }
    return Optional.empty();
  }

  /** Parses {@code lineages/<lineage>/...}, the part of a key after its database prefix. */
  private static Optional<Parsed> parseTail(String tail) {
    if (!tail.startsWith("lineages/")) {
      return Optional.empty();
    }
    String rest = tail.substring("lineages/".length());
    int slash = rest.indexOf('/');
    if (slash < 0 || !LINEAGE.matcher(rest.substring(0, slash)).matches()) {
      return Optional.empty();
    }
    String lineage = rest.substring(0, slash);
    String object = rest.substring(slash + 1);
    if (object.startsWith("snapshots/")) {
      Matcher m = SNAPSHOT.matcher(object.substring("snapshots/".length()));
      if (m.matches()) {
        long txid = Long.parseUnsignedLong(m.group(1), 16);
        return Optional.of(new Parsed(lineage, true, txid, txid));
      }
    } else if (object.startsWith("segments/")) {
      Matcher m = SEGMENT.matcher(object.substring("segments/".length()));
      if (m.matches()) {
        return Optional.of(new Parsed(lineage, false, Long.parseUnsignedLong(m.group(1), 16),
            Long.parseUnsignedLong(m.group(2), 16)));
      }
    } else if (object.startsWith("levels/")) {
      Matcher m = COMPACTED.matcher(object.substring("levels/".length()));
      int level = m.matches() ? Integer.parseInt(m.group(1)) : 0;
      if (level > 0) {
        return Optional.of(new Parsed(lineage, false, Long.parseUnsignedLong(m.group(2), 16),
            Long.parseUnsignedLong(m.group(3), 16), level));
      }
    }
    return Optional.empty();
  }
}
