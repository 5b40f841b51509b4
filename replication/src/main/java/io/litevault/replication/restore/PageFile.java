package io.litevault.replication.restore;

import io.litevault.replication.format.PageFileWriter;
import io.litevault.replication.format.SnapshotCodec;
import java.io.IOException;
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
    this.file = file;
    this.pageSize = snapshot.pageSize();
    this.pages = new PageFileWriter(file, pageSize);
    this.filePages = snapshot.dbSizePages();
  }

  /** Writes the pages of {@code cut} and resizes to its database size. */
  void write(Cut cut) throws IOException {
    cut.effect().applyTo(file, pages, filePages, pageSize);
    filePages = cut.dbSizePagesAfter();
  }

  /** Makes the file durable. */
  void force() throws IOException {
    file.force(true);
  }
}
