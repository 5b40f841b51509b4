package io.litevault.replication;

import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.store.CommitEvent;
import io.litevault.store.DatabaseFiles;
import io.litevault.store.ReadPin;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The states the local database may have been in when this process opened it, before the writes it made
 * since (the application may write before the replicator has looked), for {@link BucketWins} to compare
 * with the bucket. Each is read from the files as they are, so each is a real state or a mix that matches
 * nothing.
 */
final class LocalStates {
  private LocalStates() {}

  /**
   * Under {@code pin}: the pinned state; and, while the main file is not complete, the main file alone
   * (the state before the first commit into a fresh WAL, while the gate kept checkpoints from copying
   * anything since) and the state before {@code firstPending}, the first commit this replicator was told of.
   */
  static List<DatabaseChecksum> atStart(DatabaseFiles files, ReadPin pin, CommitEvent firstPending) throws IOException {
    List<DatabaseChecksum> states = new ArrayList<>();
    states.add(PageReader.pinned(files, pin).checksum());
    if (!pin.mainFileComplete()) {
      states.add(PageReader.at(files, Shipper.NOTHING).checksum());
      if (firstPending != null && firstPending.walStart().sameWal(pin.position())
          && firstPending.walStart().offset() > WalHeader.BYTES) {
        states.add(PageReader.at(files, firstPending.walStart()).checksum());
      }
    }
    return states;
  }

  /**
   * With no pin, just before a forced checkpoint (the writer thread is waiting): the main file alone, which
   * the gates kept since the store opened, and the state before {@code firstPending}.
   */
  static List<DatabaseChecksum> beforeBreak(DatabaseFiles files, CommitEvent firstPending) throws IOException {
    List<DatabaseChecksum> states = new ArrayList<>();
    states.add(PageReader.at(files, Shipper.NOTHING).checksum());
    if (firstPending != null && firstPending.walStart().offset() > WalHeader.BYTES) {
      states.add(PageReader.at(files, firstPending.walStart()).checksum());
    }
    return states;
  }
}
