package io.litevault.replication.torture;

import io.litevault.store.Database;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads two numbers from the {@code -shm} file, SQLite's own record of the WAL, as a judge the store does not
 * control: {@code mxFrame}, the last valid frame, and {@code nBackfill}, how many frames a checkpoint has
 * copied into the database. Layout (<a href="https://www.sqlite.org/walformat.html#the_wal_index_file_format">walformat.html,
 * 2.1 The WAL-Index File Format</a>): the header is two copies of the 48-byte WalIndexHdr, mxFrame at byte
 * 16 of it, then the WalCkptInfo, whose first field nBackfill is at byte 96; "the wal-index is in the
 * native byte order of the host".
 */
final class WalIndexFile {
  record Header(long mxFrame, long nBackfill) {}

  private WalIndexFile() {}

  static Header read(Database db) {
    Path shm = db.path().resolveSibling(db.path().getFileName() + "-shm");
    ByteBuffer b = ByteBuffer.allocate(100).order(ByteOrder.nativeOrder());
    try (FileChannel ch = FileChannel.open(shm, StandardOpenOption.READ)) {
      while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
        // read the whole header
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Header(Integer.toUnsignedLong(b.getInt(16)), Integer.toUnsignedLong(b.getInt(96)));
  }
}
