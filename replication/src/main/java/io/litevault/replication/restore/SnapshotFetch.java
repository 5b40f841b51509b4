package io.litevault.replication.restore;

import io.litevault.bucket.ObjectNotFoundException;
import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.replication.format.FormatException;
import io.litevault.replication.format.PageFileWriter;
import io.litevault.replication.format.SnapshotCodec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.util.concurrent.ExecutorService;

/**
 * Step 2 of a restore: the plan's snapshot, streamed into the temporary file, verified (the codec checks
 * every page) and hashed into the database checksum the chain starts from. Package-private.
 */
final class SnapshotFetch {
  private SnapshotFetch() {}

  /**
   * The snapshot's header and the database checksum of its pages.
   *
   * @param header the snapshot's header: txid, commit time, page size, size in pages
   * @param state the database checksum after the snapshot's txid
   */
  record Base(SnapshotCodec.Header header, DatabaseChecksum state) {}

  /**
   * Writes the snapshot into {@code file} (truncated to its size) using {@code pool} for the writes.
   *
   * @throws RestoreException the snapshot is corrupt or disappeared
   */
  static Base fetch(ObjectStore store, RestorePlan plan, FileChannel file, ExecutorService pool) throws IOException {
    DatabaseChecksum state = new DatabaseChecksum();
    SnapshotCodec.Header h;
    PageFileWriter[] writer = new PageFileWriter[1];
    try (InputStream in = store.get(plan.snapshot())) {
      h = SnapshotCodec.read(in, plan.snapshot(), (pgno, page, hash) -> {
        if (writer[0] == null) {
          writer[0] = new PageFileWriter(file, page.length, pool); // the pool is idle until the segments
        }
        writer[0].write(pgno, page);
        state.setHash(pgno, hash);
      });
      if (writer[0] != null) {
        writer[0].flush();
      }
    } catch (FormatException e) {
      throw new RestoreException(RestoreException.Kind.CORRUPT_OBJECT, "snapshot " + plan.snapshot() + " is corrupt: "
          + e.getMessage() + "; restore an older point (Restore.list shows them)", null, e);
    } catch (ObjectNotFoundException e) {
      throw new RestoreException(RestoreException.Kind.MISSING_OBJECT, "snapshot " + plan.snapshot()
          + " disappeared during the restore (retention?); try again", null, e);
    }
    state.resize(h.dbSizePages());
    file.truncate((long) h.dbSizePages() * h.pageSize());
    return new Base(h, state);
  }
}
