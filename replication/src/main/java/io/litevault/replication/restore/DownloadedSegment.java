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
import java.time.Instant;

/**
 * A downloaded, verified segment: when the restore applies all of it, only its header and net effect
 * ({@code segment} null); otherwise every transaction, to be cut. Page hashes are computed on the download
 * thread either way. {@code checksums} holds the database checksum after each transaction, for comparing a
 * segment that overlaps this one. Package-private.
 */
record DownloadedSegment(SegmentCodec.Header header, Segment segment, NetEffect whole, long[] checksums,
    boolean range) {

  DownloadedSegment(SegmentCodec.Header header, Segment segment, NetEffect whole, long[] checksums) {
    this(header, segment, whole, checksums, false);
  }

  /**
   * The checksum this segment records after {@code txid}; {@code firstTxid - 1} gives its checksum before.
   * A compacted range records only its ends: before its first txid and after its last.
   */
  long checksumAfter(long txid) {
    if (txid == header.firstTxid() - 1) {
      return header.checksumBefore();
    }
    if (range) {
      if (txid != header.lastTxid()) {
        throw new IllegalArgumentException("a compacted range records no checksum after txid " + txid);
      }
      return header.checksumAfter();
    }
    return checksums[(int) (txid - header.firstTxid())];
  }

  /** Whether the checksum after {@code txid} is recorded ({@link #checksumAfter}). */
  boolean records(long txid) {
    return txid == header.firstTxid() - 1 || txid == header.lastTxid() || (!range && txid >= header.firstTxid()
        && txid <= header.lastTxid());
  }

  /**
   * Downloads and decodes compacted range {@code key}, which must start right after {@code skipThrough} and
   * end at or before {@code targetTxid} (the planner chose it so): applied whole, as one net effect.
   */
  static DownloadedSegment prepareRange(ObjectStore store, String key, long skipThrough, long targetTxid) {
    NetEffect effect = new NetEffect();
    CompactedCodec.Header h;
    try (InputStream in = store.get(key)) {
      h = CompactedCodec.read(in, key, (pgno, page) -> System.arraycopy(page, 0,
          effect.pageBuffer(pgno, page.length), 0, page.length));
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
      effect.endRange(h.minPages(), h.dbSizePagesAfter());
    } catch (IOException e) { // FormatException included
      throw new java.util.concurrent.CompletionException(e);
    } catch (IllegalArgumentException e) {
      throw new java.util.concurrent.CompletionException(new FormatException(key + ": " + e.getMessage()));
    }
    SegmentCodec.Header as = new SegmentCodec.Header(h.codec(), h.pageSize(),
        (int) Math.min(Integer.MAX_VALUE, h.lastTxid() - h.firstTxid() + 1), h.firstTxid(), h.lastTxid(),
        h.lastTimestampMillis(), h.checksumBefore(), h.checksumAfter(), h.dbSizePagesAfter(), null, h.lineage());
    return new DownloadedSegment(as, null, effect.hash(), null, true);
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
      if (h.firstTxid() > skipThrough && h.lastTxid() <= targetTxid
          && (until == null || h.lastTimestampMillis() <= until.toEpochMilli())) {
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
