package io.litevault.backup;

import static io.litevault.backup.TwoBuckets.contents;
import static io.litevault.backup.TwoBuckets.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.litevault.testing.ChildJvm;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * "A typo never destroys data", item 1: {@code litevault-backup} as a child process against a real S3
 * server. A run whose source lists nothing, that would lose more than the allowed share of the tier, or
 * that would drop a database's newest lineage is refused (exit 6, a message saying what and what to do)
 * and leaves the tier as it was; the explicit flag lets it through.
 */
class BackupGuardsCliTest {
  static TwoBuckets b;
  static Map<String, String> env;

  @BeforeAll
  static void start() {
    b = new TwoBuckets();
    env = Map.of("SOURCE_AWS_ACCESS_KEY_ID", b.s3.accessKey(), "SOURCE_AWS_SECRET_ACCESS_KEY", b.s3.secretKey(),
        "TARGET_AWS_ACCESS_KEY_ID", b.s3.accessKey(), "TARGET_AWS_SECRET_ACCESS_KEY", b.s3.secretKey());
  }

  @AfterAll
  static void stop() {
    b.close();
  }

  record Result(int code, String out, String err) {}

  static Result cli(String... args) throws Exception {
    List<String> out = Collections.synchronizedList(new ArrayList<>());
    try (ChildJvm child = ChildJvm.start(env, BackupCli.class, out::add, args)) {
      int code = child.waitFor(120);
      return new Result(code, String.join("\n", out), child.stderr());
    }
  }

  static String[] args(String src, String dst, String... more) {
    String endpoint = b.s3.endpoint().toString();
    List<String> a = new ArrayList<>(List.of("--source", "s3://" + TwoBuckets.SOURCE_BUCKET + "/" + src,
        "--source-endpoint", endpoint, "--target", "s3://" + TwoBuckets.TARGET_BUCKET + "/" + dst,
        "--target-endpoint", endpoint, "--tier", "daily"));
    a.addAll(List.of(more));
    return a.toArray(new String[0]);
  }

  /** A database with one lineage (a snapshot and {@code segments} segments) under {@code prefix + db}. */
  static void database(String prefix, String db, String lineage, int segments) {
    String l = prefix + db + "/lineages/" + lineage + "/";
    put(b.source, l + "snapshots/0000000000000001.lvsn", "snapshot of " + db);
    for (int i = 0; i < segments; i++) {
      put(b.source, l + String.format("segments/%016x-%016x.lvsg", i + 2, i + 2), "segment " + i + " of " + db);
    }
  }

  @Test
  void aMistypedOrEmptySourceIsRefusedAndTheTierKeepsEverything() throws Exception {
    database("typo/", "app", "20261123T000000000Z-0000000a", 15);
    database("typo/", "notes", "20261123T000000000Z-0000000b", 15);
    Result first = cli(args("typo/", "typo-backups/"));
    assertEquals(BackupCli.OK, first.code(), first.out() + first.err());
    Map<String, String> before = contents(b.target, "typo-backups/daily/");
    assertEquals(32, before.size());

    Result typo = cli(args("tpyo/", "typo-backups/")); // one prefix off: lists nothing
    assertEquals(BackupCli.REFUSED, typo.code(), typo.out() + typo.err());
    assertTrue(typo.err().contains("lists nothing"), typo.err());
    assertTrue(typo.err().contains("s3://" + TwoBuckets.SOURCE_BUCKET + "/tpyo/"), "names the source: " + typo.err());
    assertTrue(typo.err().contains("--allow-destructive-run"), "says what to do: " + typo.err());
    assertFalse(typo.out().contains("SUCCEEDED"), typo.out());
    assertEquals(before, contents(b.target, "typo-backups/daily/"), "nothing deleted");

    Result verify = cli(args("empty/", "typo-backups/", "--verify")); // an empty prefix, with --verify
    assertEquals(BackupCli.REFUSED, verify.code(), verify.out() + verify.err());
    assertEquals(before, contents(b.target, "typo-backups/daily/"), "nothing deleted");

    Result forced = cli(args("tpyo/", "typo-backups/", "--allow-destructive-run"));
    assertEquals(BackupCli.OK, forced.code(), forced.out() + forced.err());
    assertTrue(forced.out().contains("32 deleted"), forced.out());
    assertEquals(Map.of(), contents(b.target, "typo-backups/daily/"));
  }

  @Test
  void losingMoreThanTheAllowedShareOrADatabaseIsRefused() throws Exception {
    database("share/", "app", "20261123T000000000Z-0000000a", 5);
    database("share/", "notes", "20261123T000000000Z-0000000b", 5);
    for (int i = 0; i < 20; i++) {
      put(b.source, "share/uploads/" + i + ".jpg", "jpeg " + i);
    }
    Result first = cli(args("share/", "share-backups/"));
    assertEquals(BackupCli.OK, first.code(), first.out() + first.err());
    Map<String, String> before = contents(b.target, "share-backups/daily/");
    assertEquals(32, before.size());

    // 18 of 32 objects gone upstream (say, a bad cleanup job): more than half of the tier
    List<String> gone = new ArrayList<>();
    for (int i = 0; i < 18; i++) {
      gone.add("share/uploads/" + i + ".jpg");
    }
    b.source.deleteAll(gone);
    Result share = cli(args("share/", "share-backups/"));
    assertEquals(BackupCli.REFUSED, share.code(), share.out() + share.err());
    assertTrue(share.err().contains("18 of the 32"), share.err());
    assertTrue(share.err().contains("--max-loss-share"), share.err());
    assertEquals(before, contents(b.target, "share-backups/daily/"));
    Result allowed = cli(args("share/", "share-backups/", "--max-loss-share", "0.6"));
    assertEquals(BackupCli.OK, allowed.code(), allowed.out() + allowed.err());
    assertTrue(allowed.out().contains("18 deleted"), allowed.out());

    // a whole database gone (6 of 14 objects: under the share), and no newer lineage of it upstream
    b.source.deleteAll(contents(b.source, "share/notes/").keySet().stream().map(k -> "share/notes/" + k).toList());
    Map<String, String> beforeLineage = contents(b.target, "share-backups/daily/");
    Result lineage = cli(args("share/", "share-backups/"));
    assertEquals(BackupCli.REFUSED, lineage.code(), lineage.out() + lineage.err());
    assertTrue(lineage.err().contains("notes/lineages/20261123T000000000Z-0000000b"), lineage.err());
    assertEquals(beforeLineage, contents(b.target, "share-backups/daily/"));

    // an old lineage retired by retention while a newer one of the database is upstream: a normal run
    database("share/", "notes", "20261130T000000000Z-0000000c", 1);
    Result normal = cli(args("share/", "share-backups/"));
    assertEquals(BackupCli.OK, normal.code(), normal.out() + normal.err());
    assertTrue(normal.out().contains("6 deleted"), normal.out());
  }
}
