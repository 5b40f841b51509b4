package io.litevault.replication.restore;

import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.BucketLayout;
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
record DownloadedSegment(SegmentCodec.Header header, Segment segment, NetEffect whole, long[] checksums) {

  /** The checksum this segment records after {@code txid}; {@code firstTxid - 1} gives its checksum before. */
  long checksumAfter(long txid) {
    return txid == header.firstTxid() - 1 ? header.checksumBefore() : checksums[(int) (txid - header.firstTxid())];
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
