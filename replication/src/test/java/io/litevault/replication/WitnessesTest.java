package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.*;

import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.Codec;
import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.replication.format.Segment;
import io.litevault.replication.format.SegmentCodec;
import io.litevault.store.WalPosition;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Witnesses} on a real file store holding a sibling's lineages, written as a shipper writes them: which
 * tips a sibling vouches for, and which it must not (the same content at another commit time, files older than
 * the sibling's own tip, a tip only in an older lineage, a damaged sibling).
 */
class WitnessesTest {
  static final String L1 = "20261203T010203004Z-0a1b2c3d";
  static final String L2 = "20261203T020203004Z-0a1b2c3e";
  static final BucketLayout LAYOUT = new BucketLayout("f/data");

  @TempDir Path dir;
  FileSystemObjectStore sibling;
  Witnesses witnesses;

  @BeforeEach
  void open() {
    sibling = FileSystemObjectStore.create(dir);
    witnesses = new Witnesses(List.of(new Witnesses.Witness("local", sibling, LAYOUT)));
  }

  /** A transaction: txid, commit time, checksum after, size after. */
  record T(long txid, long millis, long checksum, int pages) {}

  /** Puts a one-page snapshot at txid 1 of {@code lineage}, committed at time 1 (its checksum matches no T here). */
  void snapshot(String lineage) throws Exception {
    Path file = dir.resolve("snap-" + lineage + ".lvsn");
    io.litevault.replication.format.SnapshotCodec.write(file, new io.litevault.replication.format.SnapshotCodec.Header(
        Codec.NONE, 512, 1, 1, 1, new WalPosition(1, 2, 32), lineage), pgno -> new byte[512]);
    sibling.put(LAYOUT.snapshot(lineage, 1), java.nio.file.Files.readAllBytes(file));
  }

  /** Puts {@code txns} (consecutive txids) as one segment of {@code lineage}. */
  void segment(String lineage, long before, T... txns) throws Exception {
    List<Segment.Txn> list = new ArrayList<>();
    for (T t : txns) {
      list.add(new Segment.Txn(t.txid(), t.millis(), t.pages(), t.checksum(), Map.of(1, new byte[512])));
    }
    sibling.put(LAYOUT.segment(lineage, txns[0].txid(), txns[txns.length - 1].txid()),
        SegmentCodec.encode(new Segment(lineage, 512, before, list, new WalPosition(1, 2, 4096)), Codec.NONE));
  }

  static LineageCatalog.Tip tip(long millis, long checksum, int pages) {
    return new LineageCatalog.Tip("remote-lineage", 7, checksum, pages, new WalPosition(1, 2, 32), 0, millis);
  }

  static List<DatabaseChecksum> files(long checksum, int pages) {
    return List.of(DatabaseChecksum.summary(checksum, pages));
  }

  /** Lineage L1: AA at 1000, BB at 2000, CC at 3000, then AA again at 4000 (a write undone): its tip. */
  void history() throws Exception {
    snapshot(L1);
    segment(L1, 0, new T(2, 1000, 0xAA, 3), new T(3, 2000, 0xBB, 3));
    segment(L1, 0xBB, new T(4, 3000, 0xCC, 3), new T(5, 4000, 0xAA, 3));
  }

  @Test
  void aSiblingWhoseTipIsTheFilesVouchesForACommitItRecordedBefore() throws Exception {
    history();
    assertTrue(witnesses.vouch(tip(1000, 0xAA, 3), files(0xAA, 3)).isPresent(), "AA@1000, then up to the files");
    assertTrue(witnesses.vouch(tip(2000, 0xBB, 3), files(0xAA, 3)).isPresent(), "BB@2000");
    assertTrue(witnesses.vouch(tip(3000, 0xCC, 3), files(0xAA, 3)).isPresent(), "CC@3000");
    assertTrue(witnesses.vouch(tip(4000, 0xAA, 3), files(0xAA, 3)).isPresent(), "the files are at the tip commit");
    Witnesses.Vouch v = witnesses.vouch(tip(2000, 0xBB, 3), files(0xAA, 3)).orElseThrow();
    assertEquals(4000, v.commitMillis(), "the files' state's commit time, as the witness recorded it");
    assertEquals(0xAA, v.checksum());
    String why = v.why();
    assertTrue(why.contains("'local'") && why.contains(L1) && why.contains("txid 5") && why.contains("txid 3"), why);
  }

  @Test
  void theSameContentAtAnotherCommitTimeIsNotTheTip() throws Exception {
    history();
    // The remote's tip has AA's bytes, committed at 4500: a commit the sibling never recorded (review 28's ABA).
    assertTrue(witnesses.vouch(tip(4500, 0xAA, 3), files(0xAA, 3)).isEmpty());
    assertTrue(witnesses.vouch(tip(1000, 0xAA, 4), files(0xAA, 3)).isEmpty(), "another size");
    assertTrue(witnesses.vouch(tip(1000, 0xAB, 3), files(0xAA, 3)).isEmpty(), "another checksum");
  }

  @Test
  void filesOlderThanTheSiblingsTipGetNoVouch() throws Exception {
    history();
    // The files are at CC (txid 4), the sibling holds AA@4000 after it: no vouch (review 30). It may have shipped
    // the files' newer commits after they were read, or the files are older: asked again (review 31).
    assertThrows(Witnesses.MovedOn.class, () -> witnesses.vouch(tip(1000, 0xAA, 3), files(0xCC, 3)));
    assertThrows(Witnesses.MovedOn.class, () -> witnesses.vouch(tip(3000, 0xCC, 3), files(0xCC, 3)));
    assertTrue(witnesses.vouch(tip(1500, 0xAA, 3), files(0xCC, 3)).isEmpty(), "a tip it never recorded: no vouch");
    // Any of the states the files were in since the open may be the sibling's tip.
    assertTrue(witnesses.vouch(tip(1000, 0xAA, 3), List.of(DatabaseChecksum.summary(0xCC, 3),
        DatabaseChecksum.summary(0xAA, 3))).isPresent());
  }

  @Test
  void filesTheSiblingNeverHeldGetNoVouch() throws Exception {
    history();
    assertTrue(witnesses.vouch(tip(1000, 0xAA, 3), files(0xDD, 3)).isEmpty());
    assertTrue(witnesses.vouch(tip(1000, 0xAA, 3), files(0xAA, 9)).isEmpty(), "the same checksum, another size");
    assertTrue(witnesses.vouch(tip(1000, 0xAA, 3), List.of()).isEmpty(), "no local state known");
    assertTrue(witnesses.vouch(tip(0, 0xAA, 3), files(0xAA, 3)).isEmpty(), "a tip without a commit time");
    assertTrue(Witnesses.NONE.vouch(tip(1000, 0xAA, 3), files(0xAA, 3)).isEmpty(), "a single replicator");
  }

  @Test
  void onlyTheSiblingsCurrentLineageIsSearched() throws Exception {
    snapshot(L1);
    segment(L1, 0, new T(2, 1000, 0xAA, 3));
    snapshot(L2);
    segment(L2, 0xAA, new T(2, 5000, 0xEE, 3)); // a new lineage after a break: its history before is unknown
    assertTrue(witnesses.vouch(tip(1000, 0xAA, 3), files(0xEE, 3)).isEmpty());
    assertTrue(witnesses.vouch(tip(5000, 0xEE, 3), files(0xEE, 3)).isPresent());
    segment(L2 + "0", 0xEE, new T(2, 6000, 0xFF, 3)); // a newer lineage without a snapshot is not its current one
    assertTrue(witnesses.vouch(tip(5000, 0xEE, 3), files(0xEE, 3)).isPresent());
  }

  @Test
  void aDamagedSiblingVouchesForNothingAndAnotherStillMay() throws Exception {
    history();
    String tipKey = LAYOUT.segment(L1, 4, 5);
    byte[] bytes;
    try (var in = sibling.get(tipKey)) {
      bytes = in.readAllBytes();
    }
    bytes[bytes.length / 2] ^= 1;
    sibling.put(tipKey, bytes);
    assertTrue(witnesses.vouch(tip(1000, 0xAA, 3), files(0xAA, 3)).isEmpty(), "damaged: no vouch, no exception");
    FileSystemObjectStore good = FileSystemObjectStore.create(dir.resolve("good"));
    FileSystemObjectStore keep = sibling;
    sibling = good;
    history();
    sibling = keep;
    Witnesses two = new Witnesses(List.of(new Witnesses.Witness("local", keep, LAYOUT),
        new Witnesses.Witness("other", good, LAYOUT)));
    assertTrue(two.vouch(tip(1000, 0xAA, 3), files(0xAA, 3)).orElseThrow().why().contains("'other'"));
  }

  /** Random histories: a vouch exactly when the sibling's tip is a state of the files and a point matches the tip. */
  @Test
  void randomHistoriesAgreeWithAReferenceScan() throws Exception {
    long seed = Long.getLong("litevault.seed", System.nanoTime());
    Random r = new Random(seed);
    for (int round = 0; round < 30; round++) {
      sibling = FileSystemObjectStore.create(dir.resolve("r" + round));
      witnesses = new Witnesses(List.of(new Witnesses.Witness("local", sibling, LAYOUT)));
      snapshot(L1);
      int n = 2 + r.nextInt(12);
      List<T> txns = new ArrayList<>();
      long millis = 1000;
      for (int i = 0; i < n; i++) {
        millis += r.nextInt(3) == 0 ? -r.nextInt(50) : r.nextInt(50); // the clock may step back
        txns.add(new T(2 + i, millis, r.nextInt(4), 3));
      }
      int at = 0;
      while (at < n) {
        int len = 1 + r.nextInt(Math.min(4, n - at));
        segment(L1, at == 0 ? 0 : txns.get(at - 1).checksum(), txns.subList(at, at + len).toArray(new T[0]));
        at += len;
      }
      T pick = txns.get(r.nextInt(n));
      long tipMillis = r.nextBoolean() ? pick.millis() : pick.millis() + 1 + r.nextInt(3);
      LineageCatalog.Tip tip = tip(tipMillis, r.nextInt(4), 3);
      long state = r.nextInt(5);
      boolean atTip = txns.get(n - 1).checksum() == state;
      boolean recorded = false;
      boolean passed = false;
      for (T t : txns) {
        recorded |= t.millis() == tip.commitMillis() && t.checksum() == tip.checksumAfter();
        passed |= t.checksum() == state;
      }
      String what = "seed " + seed + " (-Dlitevault.seed), round " + round + ": " + txns + ", tip " + tip + ", files " + state;
      if (recorded && !atTip && passed) {
        assertThrows(Witnesses.MovedOn.class, () -> witnesses.vouch(tip, files(state, 3)), what);
      } else {
        assertEquals(recorded && atTip, witnesses.vouch(tip, files(state, 3)).isPresent(), what);
      }
    }
  }
}
