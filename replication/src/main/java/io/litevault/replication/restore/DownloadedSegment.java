package io.litevault.replication.restore;

import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.BucketLayout;
import io.litevault.replication.format.CompactedCodec;
import io.litevault.replication.format.FormatException;
import io.litevault.replication.format.NetEffect;
import io.litevault.replication.format.Segment;
import io.litevault.replication.format.SegmentCodec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * A downloaded, verified segment: when the restore applies all of it, only its header and net effect
 * ({@code segment} null); otherwise every transaction, to be cut. Page hashes are computed on the download
 * thread either way. {@code checksums} holds the database checksum after each transaction, for comparing a
 * segment that overlaps this one. Package-private.
 */
record DownloadedSegment(SegmentCodec.Header header, Segment segment, NetEffect whole, long[] checksums,
    Range staged) {

  /** A compacted range, downloaded to {@code file}: applied from there ({@link PageFile#writeRange}). */
  record Range(CompactedCodec.Header header, Path file) {}

  DownloadedSegment(SegmentCodec.Header header, Segment segment, NetEffect whole, long[] checksums) {
    this(header, segment, whole, checksums, null);
  }

  /** Whether this is a compacted range (recording checksums only at its ends). */
  boolean range() {
    return staged != null;
  }

  /**
   * The checksum this segment records after {@code txid}; {@code firstTxid - 1} gives its checksum before.
   * A compacted range records only its ends: before its first txid and after its last.
   */
  long checksumAfter(long txid) {
    if (txid == header.firstTxid() - 1) {
      return header.checksumBefore();
    }
    if (range()) {
      if (txid != header.lastTxid()) {
        throw new IllegalArgumentException("a compacted range records no checksum after txid " + txid);
      }
      return header.checksumAfter();
    }
    return checksums[(int) (txid - header.firstTxid())];
  }

  /** Whether the checksum after {@code txid} is recorded ({@link #checksumAfter}). */
  boolean records(long txid) {
    return txid == header.firstTxid() - 1 || txid == header.lastTxid() || (!range() && txid >= header.firstTxid()
        && txid <= header.lastTxid());
  }

  /**
   * Downloads compacted range {@code key} into file {@code staged} (a range of a large database may
   * hold more pages than the heap: it is applied from there, streaming, by the restore's thread) and
   * checks its header: it must start right after {@code skipThrough} and end at or before
   * {@code targetTxid} (the planner chose it so). Its pages and CRC are checked while it is applied.
   */
  static DownloadedSegment prepareRange(ObjectStore store, String key, long skipThrough, long targetTxid, Path staged) {
    try {
      try (InputStream in = store.get(key)) {
        Files.copy(in, staged, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      CompactedCodec.Header h;
      try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(
          Files.newInputStream(staged), 1024))) {
        h = CompactedCodec.readHeader(in, key);
      } catch (java.io.EOFException e) {
        throw new FormatException(key + ": truncated header");
      }
      BucketLayout.Parsed named = BucketLayout.locate(key).map(BucketLayout.Located::parsed).orElse(null);
      if (named == null || named.firstTxid() != h.firstTxid() || named.lastTxid() != h.lastTxid()
          || named.level() != h.level()) {
        throw new FormatException(key + ": its header holds level " + h.level() + ", txids " + h.firstTxid() + ".."
            + h.lastTxid() + ", not what its key names (a renamed object)");
      }
      if (h.firstTxid() != skipThrough + 1 || h.lastTxid() > targetTxid) {
        throw new FormatException(key + ": txids " + h.firstTxid() + ".." + h.lastTxid() + " do not follow txid "
            + skipThrough + " within the target " + targetTxid);
      }
      SegmentCodec.Header as = new SegmentCodec.Header(h.codec(), h.pageSize(),
          (int) Math.min(Integer.MAX_VALUE, h.lastTxid() - h.firstTxid() + 1), h.firstTxid(), h.lastTxid(),
          h.lastTimestampMillis(), h.checksumBefore(), h.checksumAfter(), h.dbSizePagesAfter(), null, h.lineage());
      return new DownloadedSegment(as, null, null, null, new Range(h, staged));
    } catch (IOException | RuntimeException e) {
      deleteQuietly(staged);
      throw new java.util.concurrent.CompletionException(e instanceof java.io.UncheckedIOException u ? u.getCause() : e);
    }
  }

  /** Deletes a staged range file, if any. */
  static void deleteQuietly(Path staged) {
    if (staged != null) {
      try {
        Files.deleteIfExists(staged);
      } catch (IOException ignored) {
        // beside the restore's temporary file: removed with it, or by the next restore's orphan cleanup
      }
    }
  }

  /**
   * Downloads and decodes segment {@code key}; runs on a download thread.
   *
   * @param skipThrough the txid the chain has reached before this segment (the snapshot's, or the last
   *     txid of an earlier segment): transactions up to it are already applied, so a segment overlapping it
   *     is decoded transaction by transaction, to be cut
   * @throws java.util.concurrent.CompletionException wrapping a {@link FormatException} or an
   *     {@link IOException}
   */
  static DownloadedSegment prepare(ObjectStore store, String key, long skipThrough, long targetTxid, Instant until) {
    try {
      byte[] body = download(store, key);
      SegmentCodec.Header h = SegmentCodec.peekHeader(new java.io.ByteArrayInputStream(body), key);
      if (!key.endsWith("/" + BucketLayout.hex(h.firstTxid()) + "-" + BucketLayout.hex(h.lastTxid()) + ".lvsg")) {
        throw new FormatException(key + ": its header holds txids " + h.firstTxid() + ".." + h.lastTxid()
            + ", not the ones its key names (a renamed object)");
      }
      // Whole only for a txid target: to a time, every commit is looked at (Cut), because after the clock
      // steps back the last commit time is not the latest (a segment header has no maximum).
      if (h.firstTxid() > skipThrough && h.lastTxid() <= targetTxid && until == null) {
        SegmentCodec.NetSegment net = SegmentCodec.decodeNet(body, key);
        return new DownloadedSegment(net.header(), null, net.effect().hash(), net.checksumsAfter());
      }
      Segment seg = SegmentCodec.decode(body, key);
      return new DownloadedSegment(h, seg, null, seg.transactions().stream().mapToLong(Segment.Txn::checksumAfter).toArray());
    } catch (java.io.EOFException e) {
      throw new java.util.concurrent.CompletionException(new FormatException(key + ": truncated header"));
    } catch (IOException e) { // FormatException included
      throw new java.util.concurrent.CompletionException(e);
    }
  }

  private static byte[] download(ObjectStore store, String key) {
    try (InputStream in = store.get(key)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("download of " + key + " failed: " + e.getMessage(), e);
    }
  }
}
