package io.litevault.replication;

import io.litevault.bucket.ErrorKind;
import io.litevault.bucket.ObjectStoreException;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.restore.Restore;
import io.litevault.replication.restore.RestoreException;
import io.litevault.replication.restore.RestoreOptions;
import io.litevault.replication.restore.RestorePlan;
import io.litevault.replication.restore.RestoreResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restore on boot: gives a service its databases back from the bucket before it opens its store, so a
 * container started on an empty volume (after a deploy, a lost disk) needs no script around it. Call
 * {@link #run} before {@code SqliteStore.open}, then start the replicators as usual:
 *
 * <pre>{@code
 * RestoreOnBoot.run(RestoreOnBootOptions.builder(bucket, dir).database("data", "litevault/data").build());
 * SqliteStore store = SqliteStore.builder(dir).database("data", options).open();
 * Replicator r = Replicator.start(store.database("data"), ReplicatorOptions.builder(bucket, "litevault/data").build());
 * }</pre>
 *
 * <p>For each configured database, in order:
 * <ul>
 * <li><b>its file {@code <dir>/<name>.db} exists</b>: left alone, and the bucket is not asked. The
 *     replicator's start compares it with the bucket ("the bucket wins": a file behind the bucket is refused
 *     with {@link LocalBehindBucketException}).
 * <li><b>the file is missing</b>: the newest point of the newest lineage under its prefix is restored with the
 *     restore library ({@link Restore#run}): the chain checksums of every segment, {@code PRAGMA
 *     integrity_check} (or as {@link RestoreOnBootOptions#integrityCheck()} says), then an atomic rename into
 *     place and a directory fsync. A replicator started on it continues that lineage (no fork).
 * <li><b>the prefix holds no object of any lineage</b> (a brand-new service): nothing is written; the store
 *     then creates a fresh database.
 * <li><b>a {@code -wal} or {@code -journal} exists without the file</b>: refused
 *     ({@link RestoreOnBootException.Kind#LEFTOVER_WAL}) before the bucket is asked, unless
 *     {@link RestoreOnBootOptions#discardLeftoverWal()}: then they are deleted just before the rename, once
 *     no process is proved to hold them (the restore library's rules for replacing a database). Such a WAL
 *     holds commits of a file that is gone; SQLite would replay it into whatever file appears beside it. A
 *     {@code -shm} alone holds no data and is removed at the rename.
 * </ul>
 * The bucket is first checked with {@link io.litevault.bucket.ObjectStore#verify()} (only when a file is
 * missing). A bucket that cannot be reached fails ({@link RestoreOnBootException.Kind#BUCKET_UNREACHABLE}),
 * unless {@link RestoreOnBootOptions#startEmptyIfUnreachable()}. The first failure stops the run: databases
 * restored before it stay restored (each is complete and verified), later ones are not tried. A failed
 * restore leaves nothing at the database's path (its temporary file is removed).
 *
 * <p>Logs one line per database (INFO; WARN when starting empty on an unreachable bucket), naming the
 * bucket as {@link io.litevault.bucket.ObjectStore#describe()} does: never a credential.
 */
public final class RestoreOnBoot {
  private static final Logger log = LoggerFactory.getLogger(RestoreOnBoot.class);
  /** SQLite's files that hold commits of a database besides its main file. */
  private static final List<String> WAL_FILES = List.of("-wal", "-journal");

  private RestoreOnBoot() {}

  /**
   * Restores every configured database whose file is missing.
   *
   * @return one result per database, in the order configured
   * @throws RestoreOnBootException a database could not be restored; do not open the store
   */
  public static List<RestoreOnBootResult> run(RestoreOnBootOptions o) {
    List<String> missing = new ArrayList<>();
    for (String name : o.databases().keySet()) {
      if (!exists(o.file(name))) {
        missing.add(name);
        requireNoLeftoverWal(o, name, "");
      }
    }
    boolean reachable = missing.isEmpty() || verify(o, missing.get(0));
    List<RestoreOnBootResult> results = new ArrayList<>();
    for (Map.Entry<String, String> db : o.databases().entrySet()) {
      results.add(one(o, db.getKey(), db.getValue(), missing.contains(db.getKey()), reachable));
    }
    return results;
  }

  private static RestoreOnBootResult one(RestoreOnBootOptions o, String name, String prefix, boolean missing,
      boolean reachable) {
    Path file = o.file(name);
    if (!missing) {
      log.info("restore on boot: database '{}' left alone: {} exists", name, file);
      return RestoreOnBootResult.leftAlone(name, file, RestoreOnBootResult.Outcome.LOCAL_FILE_PRESENT, Duration.ZERO);
    }
    if (!reachable) {
      // Nothing is restored, so a leftover WAL would be replayed into the empty database or lost: refused
      // even when discarding is allowed (that is for a WAL a restored file replaces).
      requireNoLeftoverWal(o, name, " (and the bucket cannot be reached, so nothing would replace it)");
      log.warn("restore on boot: database '{}' starts EMPTY: {} could not be reached and starting empty is allowed; "
          + "its replicator will refuse to fork if the bucket holds data under '{}'", name, o.store().describe(), prefix);
      return RestoreOnBootResult.leftAlone(name, file, RestoreOnBootResult.Outcome.BUCKET_UNREACHABLE_STARTED_EMPTY,
          Duration.ZERO);
    }
    return restore(o, name, prefix);
  }

  private static RestoreOnBootResult restore(RestoreOnBootOptions o, String name, String prefix) {
    long t0 = System.nanoTime();
    Path file = o.file(name);
    RestoreOptions ro = RestoreOptions.builder(o.store(), prefix, file).integrityCheck(o.integrityCheck())
        .parallelism(o.parallelism()).discardStaleWal(o.discardLeftoverWal()).build(); // never force: see below
    RestoreResult r;
    try {
      RestorePlan plan;
      try {
        plan = Restore.plan(ro); // one listing, used by the restore too
      } catch (RestoreException e) {
        // Nothing to restore: an empty prefix starts fresh; one holding objects but no snapshot is a
        // damaged replica, never a reason to start empty (the second listing only in this rare case).
        if (e.kind() == RestoreException.Kind.NOTHING_TO_RESTORE && isEmpty(o, name, prefix)) {
          requireNoLeftoverWal(o, name, " (and the bucket holds nothing under '" + prefix + "' to restore)");
          log.info("restore on boot: database '{}': nothing under prefix '{}' of {}; the store creates a fresh "
              + "database", name, prefix, o.store().describe());
          return RestoreOnBootResult.leftAlone(name, file, RestoreOnBootResult.Outcome.BUCKET_EMPTY, since(t0));
        }
        throw e;
      }
      r = Restore.run(ro, plan);
    } catch (RestoreException e) {
      throw failed(RestoreOnBootException.Kind.RESTORE_FAILED, name, prefix, o, e.getMessage()
          + "; nothing was written at " + file + ". " + advice(e), e);
    } catch (ObjectStoreException e) {
      throw bucketFailure(o, name, prefix, e);
    }
    log.info("restore on boot: database '{}' restored from prefix '{}' of {}: lineage {}, txid {}, {} objects, {} bytes, {} ms",
        name, prefix, o.store().describe(), r.lineage(), r.txid(), r.objects(), r.bytes(), r.took().toMillis());
    return new RestoreOnBootResult(name, file, RestoreOnBootResult.Outcome.RESTORED, r.lineage(), r.txid(), r.bytes(),
        r.objects(), since(t0));
  }

  /** What to do after a failed restore: about the replica, or about the local path. */
  private static String advice(RestoreException e) {
    var settings = io.litevault.bucket.crypt.ObjectDecryptionException.settingsProblem(e);
    if (settings.isPresent()) {
      return "Check the keyset and the key scope the store is opened with first: they must be those the replicator "
          + "wrote with (see above)" + (settings.get().settingsCertain() || e.newestRestorable() == null ? ""
          : "; only if they are, the replica is damaged: restore an earlier point by hand "
          + "(RestoreException.newestRestorable() names one still restorable)") + "; then start again";
    }
    return switch (e.kind()) {
      case OUTPUT_EXISTS, OUTPUT_IN_USE, OUTPUT_NOT_A_FILE, IO -> "Fix the local path (see above), then start again";
      default -> "Do not start the service on an empty database (it would fork history): repair the replica, or "
          + "restore an earlier point by hand (RestoreException.newestRestorable() names one still restorable), "
          + "then start again";
    };
  }

  /** Whether the prefix holds no snapshot or segment of any lineage. */
  private static boolean isEmpty(RestoreOnBootOptions o, String name, String prefix) {
    try {
      return LineageCatalog.list(o.store(), new BucketLayout(prefix)).isEmpty();
    } catch (ObjectStoreException e) {
      throw bucketFailure(o, name, prefix, e);
    }
  }

  /** True when the bucket answers; false when it cannot be reached and starting empty is allowed. */
  private static boolean verify(RestoreOnBootOptions o, String firstMissing) {
    try {
      o.store().verify();
      return true;
    } catch (ObjectStoreException e) {
      // Only no answer at all (no connection, a timeout) may mean "unreachable": a 5xx or a throttle is the
      // bucket, or something in front of it, answering, and starting empty then would fork history.
      if ((e.kind() == ErrorKind.CONNECTION || e.kind() == ErrorKind.TIMEOUT) && o.startEmptyIfUnreachable()) {
        log.warn("restore on boot: {} cannot be reached ({}: {})", o.store().describe(), e.kind(), e.getMessage());
        return false;
      }
      throw bucketFailure(o, firstMissing, o.databases().get(firstMissing), e);
    }
  }

  private static RestoreOnBootException bucketFailure(RestoreOnBootOptions o, String name, String prefix,
      ObjectStoreException e) {
    RestoreOnBootException.Kind kind = RestoreOnBootException.of(e.kind());
    String todo = switch (kind) {
      case BUCKET_UNREACHABLE -> "the bucket did not answer (" + e.kind() + "); start the service again once it is "
          + "reachable (starting empty would fork history; startEmptyIfUnreachable allows it knowingly)";
      case BUCKET_REFUSED -> "the bucket answered with an error (" + e.kind() + "); fix the endpoint, bucket name or "
          + "credentials, or wait for an overloaded or failing server to recover, then start again";
      default -> "the bucket returned an unusable answer (" + e.kind() + "); check the replica, then start again";
    };
    return failed(kind, name, prefix, o, todo + ": " + e.getMessage(), e);
  }

  private static RestoreOnBootException failed(RestoreOnBootException.Kind kind, String name, String prefix,
      RestoreOnBootOptions o, String detail, Throwable cause) {
    return new RestoreOnBootException(kind, name, "cannot restore database '" + name + "' (" + o.file(name)
        + " is missing) from prefix '" + prefix + "' of " + o.store().describe() + ": " + detail, cause);
  }

  private static void requireNoLeftoverWal(RestoreOnBootOptions o, String name, String context) {
    Path wal = leftoverWal(o.file(name));
    if (wal != null && (!o.discardLeftoverWal() || !context.isEmpty())) {
      throw new RestoreOnBootException(RestoreOnBootException.Kind.LEFTOVER_WAL, name, "database '" + name + "': "
          + o.file(name) + " is missing but " + wal + " exists" + context + ". It holds commits of a database file "
          + "that is gone and cannot be used alone: SQLite would replay it into any file placed beside it. Move it "
          + "away (keep it to inspect it) and start again" + (context.isEmpty()
          ? ", or allow discardLeftoverWal to have it deleted when the restored file is renamed into place" : ""), null);
    }
  }

  /** The first {@code -wal}/{@code -journal} beside {@code file}, or null. */
  private static Path leftoverWal(Path file) {
    for (String suffix : WAL_FILES) {
      Path p = file.resolveSibling(file.getFileName() + suffix);
      if (exists(p)) {
        return p;
      }
    }
    return null;
  }

  private static boolean exists(Path p) {
    return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
  }

  private static Duration since(long t0) {
    return Duration.ofNanos(System.nanoTime() - t0);
  }
}
