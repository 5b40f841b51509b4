package io.litevault.replication;

import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.replication.format.LineageCatalog;
import io.litevault.store.DatabaseFiles;
import io.litevault.store.ReadPin;
import io.litevault.store.WalPosition;
import java.io.IOException;
import java.util.Optional;

/**
 * Where the local files continue the newest point of a lineage (its tip), if they do: the state there,
 * the WAL offset from which the commits after it are still to ship, and the position to report as
 * shipped. Read under a {@link ReadPin}, so the files cannot move while they are compared.
 *
 * @param at the local state at the tip (equal to the tip's checksum and size)
 * @param catchUpFrom WAL offset of the first frame not in the bucket
 * @param shipped the position every frame before which is in the bucket
 */
record ResumePoint(DatabaseChecksum at, long catchUpFrom, WalPosition shipped) {

  /** Empty when the local files, as pinned, do not continue {@code tip}. */
  static Optional<ResumePoint> find(LineageCatalog.Tip tip, ReadPin pin, DatabaseFiles files) throws IOException {
    WalPosition p = tip.walEnd();
    WalPosition pinned = pin.position();
    DatabaseChecksum at;
    long catchUpFrom;
    if (p.offset() > WalHeader.BYTES && pinned.sameWal(p) && p.offset() <= pinned.offset()) {
      at = PageReader.at(files, p).checksum(); // frames are salt-checked: a WAL restarted meanwhile fails
      catchUpFrom = p.offset();
    } else if (!pinned.sameWal(p) || p.offset() <= WalHeader.BYTES) {
      at = PageReader.at(files, Shipper.NOTHING).checksum(); // the main file alone: the tip's WAL was checkpointed
      catchUpFrom = WalHeader.BYTES;
    } else {
      return Optional.empty(); // same WAL, but the tip lies past what the files hold
    }
    if (at.value() != tip.checksumAfter() || at.pages() != tip.dbSizePages()) {
      return Optional.empty();
    }
    WalPosition shipped = catchUpFrom == WalHeader.BYTES && !pinned.sameWal(p)
        ? new WalPosition(pinned.salt1(), pinned.salt2(), WalHeader.BYTES) : p;
    return Optional.of(new ResumePoint(at, catchUpFrom, shipped));
  }
}
