package io.litevault.replication;

import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.store.CommitEvent;
import io.litevault.store.DatabaseFiles;
import io.litevault.store.ReadPin;
import io.litevault.store.WalPosition;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The states the local database may have been in when this process opened it, before the writes it made
 * since (the application may write before the replicator has looked), for {@link BucketWins} to compare
 * with the bucket. Each is read from the files as they are, so each is a real state or a mix that matches
 * nothing.
 *
 * <p>The first is the state at open itself, the main file with the WAL's commits up to
 * {@code walAtOpen} (before a break: every commit boundary up to it): after a kill -9 the WAL still holds commits (shipped ones among them) that the main
 * file does not, so the main file alone is then an older state, one the bucket may well hold as an
 * earlier point, and taking it for the files' state would refuse files that are at the bucket's tip.
 * The main file alone stands in only when the WAL at open held nothing or can no longer be read as it
 * was (restarted since: other salts).
 */
final class LocalStates {
  private LocalStates() {}

  /**
   * Under {@code pin}: the pinned state; the states at open (see {@link #atOpen}); and, while the main
   * file is not complete, the state before {@code firstPending}, the first commit this replicator was told of.
   */
  static List<DatabaseChecksum> atStart(DatabaseFiles files, ReadPin pin, WalPosition walAtOpen, CommitEvent firstPending)
      throws IOException {
    List<DatabaseChecksum> states = new ArrayList<>();
    states.add(PageReader.pinned(files, pin).checksum());
    states.addAll(atOpen(files, walAtOpen));
    if (!pin.mainFileComplete() && firstPending != null && firstPending.walStart().sameWal(pin.position())
        && firstPending.walStart().offset() > WalHeader.BYTES) {
      states.add(PageReader.at(files, firstPending.walStart()).checksum());
    }
    return states;
  }

  /**
   * Under {@code pin}: every commit boundary of the WAL up to the pin, the states the files were in since the
   * open too (a sibling destination may have shipped one of them and not yet the pinned one: review 31); the
   * main file alone when the WAL cannot be read as of the pin.
   */
  static List<DatabaseChecksum> upToPin(DatabaseFiles files, ReadPin pin) throws IOException {
    try {
      return WalStates.upTo(files, pin.position(), MAX_STATES);
    } catch (WalFormatException restarted) {
      return List.of(PageReader.pinned(files, pin).checksum());
    }
  }

  /**
   * The most states {@link #atOpen} keeps, the newest commits of the WAL at open: more than a WAL at the
   * default 1 GiB hard limit holds commits of one 4 KiB page (262,144), so in practice all of them.
   */
  static final int MAX_STATES = 1_000_000;

  /**
   * With no pin, just before a forced checkpoint (the writer thread is waiting): the commit boundaries at
   * open, which the gates kept since the store opened, and the one before {@code firstPending}.
   */
  static List<WalStates.Boundary> beforeBreak(DatabaseFiles files, WalPosition walAtOpen, CommitEvent firstPending)
      throws IOException {
    List<WalStates.Boundary> out = new ArrayList<>();
    try {
      out.addAll(WalStates.boundaries(files, walAtOpen, MAX_STATES));
    } catch (WalFormatException restarted) {
      // The WAL restarted since the open: the main file alone, at no position these files can show again.
      DatabaseChecksum main = PageReader.at(files, Shipper.NOTHING).checksum();
      out.add(new WalStates.Boundary(-1, -1, -1, main.value(), main.pages()));
    }
    WalPosition at = firstPending == null ? null : firstPending.walStart();
    if (at != null && at.offset() > WalHeader.BYTES) {
      List<DatabaseChecksum> one = new ArrayList<>(1);
      if (readable(files, at, one)) {
        out.add(new WalStates.Boundary(at.salt1(), at.salt2(), at.offset(), one.get(0).value(), one.get(0).pages()));
      }
    }
    return out;
  }

  /**
   * The states at every commit boundary of the WAL at open (see {@link WalStates}): files that continued
   * the bucket's tip with commits it never got (LOCAL writes during an outage, then a crash) are still
   * seen to have passed through the tip. The main file alone stands in when the WAL was restarted since
   * the open (other salts): its frames can no longer be read as they were.
   */
  static List<DatabaseChecksum> atOpen(DatabaseFiles files, WalPosition walAtOpen) throws IOException {
    try {
      return WalStates.upTo(files, walAtOpen, MAX_STATES);
    } catch (WalFormatException restarted) {
      return List.of(PageReader.at(files, Shipper.NOTHING).checksum());
    }
  }

  /**
   * Adds the state at {@code at} when the WAL can still be read as of it: a WAL restarted since (other
   * salts, or shorter) makes it a state these files can no longer show, not an error.
   */
  private static boolean readable(DatabaseFiles files, WalPosition at, List<DatabaseChecksum> states) throws IOException {
    try {
      states.add(PageReader.at(files, at).checksum());
      return true;
    } catch (WalFormatException e) {
      return false;
    }
  }
}
