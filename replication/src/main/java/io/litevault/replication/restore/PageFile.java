package io.litevault.replication.restore;

import io.litevault.replication.format.PageFileWriter;
import io.litevault.replication.format.SnapshotCodec;
import io.litevault.replication.format.CompactedCodec;
import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.replication.format.FormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.channels.FileChannel;

/**
 * The temporary database file segments are applied to: writes each cut's pages once, in page order, and
 * follows the database's size. Package-private; one thread uses it.
 */
final class PageFile {
  private final FileChannel file;
  private final PageFileWriter pages;
  private final int pageSize;
  private int filePages;

  PageFile(FileChannel file, SnapshotCodec.Header snapshot) {
    this(file, snapshot.pageSize(), snapshot.dbSizePages());
  }

  /** A file of {@code filePages} pages of {@code pageSize} bytes. */
  PageFile(FileChannel file, int pageSize, int filePages) {
    this.file = file;
    this.pageSize = pageSize;
    this.pages = new PageFileWriter(file, pageSize);
    this.filePages = filePages;
  }

  /** Writes the pages of {@code cut} and resizes to its database size. */
  void write(Cut cut) throws IOException {
    cut.effect().applyTo(file, pages, filePages, pageSize);
    filePages = cut.dbSizePagesAfter();
  }

  /**
   * Writes compacted range {@code range} from its downloaded file, streaming (one page in memory): cut to
   * the smallest size it records, its pages in page order, then its final size; {@code state} follows the
   * same steps. Verifies the range's structure and CRC as it reads ({@link CompactedCodec#read}).
   */
  void writeRange(DownloadedSegment.Range range, String key, DatabaseChecksum state) throws IOException {
    CompactedCodec.Header h = range.header();
    int min = Math.min(h.minPages(), filePages);
    if ((long) min * pageSize < file.size()) {
      file.truncate((long) min * pageSize);
    }
    state.resize(Math.min(h.minPages(), state.pages()));
    try (InputStream in = Files.newInputStream(range.file())) {
      CompactedCodec.read(in, key, (pgno, page) -> {
        pages.write(pgno, page);
        state.set(pgno, page);
      });
    } catch (FormatException e) {
      throw new RestoreException(RestoreException.Kind.CORRUPT_OBJECT, e.getMessage(), null, e);
    }
    pages.flush();
    long size = (long) h.dbSizePagesAfter() * pageSize;
    if (file.size() > size) {
      file.truncate(size);
    } else if (file.size() < size) {
      file.write(java.nio.ByteBuffer.allocate(1), size - 1); // a page never written reads as zeros, as in NetEffect
    }
    state.resize(h.dbSizePagesAfter());
    filePages = h.dbSizePagesAfter();
  }

  /** Makes the file durable. */
  void force() throws IOException {
    file.force(true);
  }
}
