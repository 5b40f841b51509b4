package io.litevault.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A read transaction that holds one committed state of a database, taken at a commit boundary
 * ({@link ReplicationPort#pin()}), so that the database's files can be read as of that state while writes go
 * on. Close it promptly: while it is open, checkpoints cannot copy frames past it and SQLite cannot
 * restart the WAL under it, so the WAL grows.
 *
 * <p>What it guarantees, from <a href="https://www.sqlite.org/wal.html">wal.html</a>: "the writer
 * will rewind the WAL back to the beginning [only] if the entire WAL has been transferred into the
 * database and synced and if no readers are making use of the WAL", and a checkpoint "must stop when
 * it reaches a page in the WAL that is past the end mark of any current reader". So while the pin is
 * open:
 * <ul>
 *   <li>if {@link #mainFileComplete()} is false, the WAL frames up to {@link #position()} stay where
 *       they are (the pin's reader uses the WAL, so it is not rewound), and the main file changes
 *       only by copies of those frames: the main file plus those frames is the pinned state;
 *   <li>if it is true, every frame up to the position was already in the main file when the pin was
 *       taken, and the main file alone is the pinned state. SQLite MAY then rewind the WAL and write
 *       new frames from offset 32 at the next commit — never read the WAL with such a pin — but no
 *       checkpoint can change the main file while the pin is open (a reader that ignores the WAL holds
 *       read-lock 0, which every checkpoint needs exclusively before it copies a frame).
 * </ul>
 */
public final class ReadPin implements AutoCloseable {
  private final Connection connection;
  private final WalPosition position;
  private final long txid;
  private final boolean mainFileComplete;
  private final long commitMillis;
  private boolean closed;

  private ReadPin(Connection connection, WalPosition position, long txid, boolean mainFileComplete, long commitMillis) {
    this.connection = connection;
    this.position = position;
    this.txid = txid;
    this.mainFileComplete = mainFileComplete;
    this.commitMillis = commitMillis;
  }

  /**
   * Begins the read transaction on {@code connection}. Must run on the writer thread between commits:
   * the reader then sees exactly the state the wal-index read after it describes.
   */
  static ReadPin begin(Connection connection, WalIndex walIndex, long txid, long commitMillis)
      throws SQLException, java.io.IOException {
    beginRead(connection);
    try {
      WalIndex.Snapshot wal = walIndex.read();
      return new ReadPin(connection, wal.end(), txid, wal.pendingFrames() <= 0, commitMillis);
    } catch (java.io.IOException | RuntimeException e) {
      endRead(connection);
      throw e;
    }
  }

  /** Starts a read transaction: BEGIN is deferred, so it starts at the first read of the database. */
  static void beginRead(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("BEGIN");
      try (var rs = s.executeQuery("SELECT count(*) FROM sqlite_schema")) {
        rs.next();
      }
    }
  }

  static void endRead(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("COMMIT");
    }
  }

  /** The commit boundary held: the WAL end at the pin (offset 0 when the WAL held no frame). */
  public WalPosition position() {
    return position;
  }

  /** The store's transaction id at the pin ({@link Database#lastTxid()} then). */
  public long txid() {
    return txid;
  }

  /**
   * When the newest commit in the pinned state was made (epoch ms, the time the store stamps on its
   * commit events), or 0 when the store has made no commit since it opened.
   */
  public long commitMillis() {
    return commitMillis;
  }

  /** Whether the main file alone holds the pinned state (see the class comment: then never read the WAL). */
  public boolean mainFileComplete() {
    return mainFileComplete;
  }

  /** Ends the read transaction and closes its connection. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      try {
        endRead(connection);
      } finally {
        connection.close();
      }
    } catch (SQLException e) {
      // The read transaction ends with the connection anyway.
      org.slf4j.LoggerFactory.getLogger(ReadPin.class).debug("closing a read pin: {}", e.toString());
    }
  }

  @Override
  public String toString() {
    return "ReadPin[" + position + ", txid " + txid + (mainFileComplete ? ", main file complete]" : "]");
  }
}
