package io.litevault.replication.restore;

import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.replication.format.ReplicaPosition;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.CompletionException;

/**
 * A restored database file, carried forward segment by segment as its lineage grows: what a follower does
 * after its first {@link Restore#run}. Each segment is verified as a restore verifies it (no gap, the database
 * checksum before it equal to the file's, agreement with the segment before it where they overlap, the
 * checksum after its transactions), then its pages are written. Two steps, so that the slow one (the
 * download) runs while the file is still read, and the write alone holds readers off:
 * {@link #prepare} downloads and links a segment, {@link #verify} checks its checksum, neither touching the file;
 * {@link #write} writes it.
 *
 * <p>Not thread-safe: one thread owns a continuation. After an exception from {@link #verify} or
 * {@link #write} the file and the chain may disagree: restore the file again and start a new continuation.
 */
public final class Continuation {
  private final Chain chain;
  private final int pageSize;
  private int filePages;

  private Continuation(Chain chain, int pageSize, int filePages) {
    this.chain = chain;
    this.pageSize = pageSize;
    this.filePages = filePages;
  }

  /**
   * The continuation of {@code file}, restored to {@code position} (as {@link RestoreResult} says):
   * reads the whole file once to learn its database checksum.
   *
   * @param timestampMillis the commit time of the position's transaction
   * @throws IOException the file cannot be read, or is not a SQLite database
   */
  public static Continuation of(Path file, ReplicaPosition position, long timestampMillis) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer header = ByteBuffer.allocate(100);
      ch.read(header, 0);
      int raw = header.getShort(16) & 0xffff; // https://www.sqlite.org/fileformat2.html: page size at offset 16
      int pageSize = raw == 1 ? 65536 : raw;
      if (header.position() < 100 || pageSize < 512 || Integer.bitCount(pageSize) != 1 || ch.size() % pageSize != 0) {
        throw new IOException(file + " is not a whole SQLite database file (page size " + pageSize + ", "
            + ch.size() + " bytes)");
      }
      DatabaseChecksum state = new DatabaseChecksum();
      int pages = (int) (ch.size() / pageSize);
      ByteBuffer page = ByteBuffer.allocate(pageSize);
      for (int pgno = 1; pgno <= pages; pgno++) {
        page.clear();
        while (page.hasRemaining() && ch.read(page, (long) (pgno - 1) * pageSize + page.position()) > 0) {
          // read the whole page
        }
        state.set(pgno, page.array());
      }
      state.resize(pages);
      Chain chain = new Chain(position.lineage(), file.getFileName() + " (restored to txid " + position.txid() + ")",
          state, position.txid(), timestampMillis);
      return new Continuation(chain, pageSize, pages);
    }
  }

  /** Where the file stands: the last transaction applied, of its lineage. */
  public ReplicaPosition position() {
    return new ReplicaPosition(chain.lineage(), chain.txid());
  }

  /** The commit time of the last transaction applied. */
  public long timestampMillis() {
    return chain.timestampMillis();
  }

  /** A segment downloaded, decoded and linked to the chain, ready to {@link #verify} and {@link #write}. */
  public static final class Step {
    private final String key;
    private final DownloadedSegment segment;
    private final Cut cut;
    private boolean verified;

    private Step(String key, DownloadedSegment segment, Cut cut) {
      this.key = key;
      this.segment = segment;
      this.cut = cut;
    }

    public String key() {
      return key;
    }

    /** The last transaction the step applies. */
    public long lastTxid() {
      return cut.lastTxid();
    }
  }

  /**
   * Downloads segment {@code key} of this lineage and checks that it continues the chain; empty when it
   * holds nothing after the chain's txid (an overlapping retry already applied). The file is not touched.
   *
   * @throws RestoreException the segment is missing, corrupt, does not continue the chain (a gap, another
   *     database), or disagrees with the segment applied before it
   * @throws IOException the download failed (a retry may succeed)
   */
  public Optional<Step> prepare(ObjectStore store, String key) throws IOException {
    DownloadedSegment segment;
    try {
      segment = DownloadedSegment.prepare(store, key, chain.txid(), Long.MAX_VALUE, null);
    } catch (CompletionException e) {
      throw SegmentDownloads.failure(key, e, chain);
    } catch (java.io.UncheckedIOException e) {
      throw e.getCause(); // the body broke off mid-download
    } catch (RuntimeException e) {
      throw SegmentDownloads.failure(key, new CompletionException(e), chain); // the object is gone: MISSING_OBJECT
    }
    chain.verifyLink(key, segment);
    Cut cut = Cut.of(segment, chain.txid(), Long.MAX_VALUE, null);
    return cut.isEmpty() ? Optional.empty() : Optional.of(new Step(key, segment, cut));
  }

  /**
   * Checks that {@code step}'s transactions produce the checksum its segment records, and moves the chain's
   * checksum past them: call {@link #write} next. Touches no file, so a refused segment leaves the file as it
   * was; this continuation is then unusable (restore the file again).
   *
   * @param step from {@link #prepare} of this continuation, the chain not moved since
   * @throws IllegalStateException a step prepared at another point of the chain
   * @throws RestoreException the checksum does not verify
   */
  public void verify(Step step) {
    if (step.segment.header().firstTxid() > chain.txid() + 1 || step.cut.lastTxid() <= chain.txid()) {
      throw new IllegalStateException("step " + step.key + " was prepared at another point of the chain (now txid "
          + chain.txid() + ")");
    }
    chain.verifyChecksum(step.key, step.cut);
    step.verified = true;
  }

  /**
   * Writes the pages of {@code step}, {@link #verify verified}, into {@code file}, resizes it, and moves the
   * chain past it. Not durable (no fsync).
   *
   * @throws IllegalStateException {@code step} was not verified
   * @throws IOException the write failed: the file is half-written
   */
  public void write(Step step, FileChannel file) throws IOException {
    if (!step.verified) {
      throw new IllegalStateException("step " + step.key + " was not verified");
    }
    PageFile pages = new PageFile(file, pageSize, filePages);
    pages.write(step.cut);
    filePages = step.cut.dbSizePagesAfter();
    chain.extend(step.key, step.segment, step.cut);
  }
}
