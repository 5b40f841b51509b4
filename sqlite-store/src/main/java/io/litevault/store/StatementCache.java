package io.litevault.store;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The writer connection's prepared statements, kept across write tasks (sqlite-jdbc has no statement
 * cache of its own, and HikariCP leaves statement caching to the driver).
 *
 * <p>Write tasks see {@link #connection()}: the writer connection, except that
 * {@code prepareStatement(String)} returns a cached statement when one for the same SQL is free, and
 * that statement's {@code close()} hands it back (parameters and batch cleared) instead of finalizing
 * it. Compiling the SQL of a typical small write was a large part of the writer thread's work per
 * write (see benchmarks/RESULTS.md). A statement the task did not close is handed back when the task
 * returns: a statement from {@code prepareStatement} is valid only until then, as the
 * {@link WriteTask} contract already says; its result sets are closed then, so a query left unfinished
 * does not keep the statement active. The same SQL prepared twice in one task gets a second,
 * uncached statement. Least recently used statements are finalized past {@code capacity}.
 *
 * <p>Schema changes need nothing: sqlite-jdbc prepares with {@code sqlite3_prepare_v2}, whose
 * statements re-compile themselves when the schema changed. sqlite-jdbc leaves a statement active
 * after {@code executeUpdate} until it runs again or is closed: COMMIT and checkpoints do not mind
 * (checked), VACUUM refuses to run. So {@link #clear()} finalizes everything before a maintenance
 * window, and at close.
 *
 * <p>Every other statement a task opens through {@link #connection()} ({@code createStatement},
 * {@code prepareStatement} with more arguments, {@code prepareCall}, the second statement of the same
 * SQL, and every statement when the cache is off) is remembered until the task returns, and closed then
 * if the task did not ({@link #closeLeftovers()}): a query or {@code ... RETURNING} statement left
 * unfinished keeps running on the writer connection, and SQLite then refuses to RELEASE, COMMIT (and,
 * through sqlite-jdbc's autocommit probe, to leave) the writer's transaction; an unfinished read keeps
 * a read transaction open after COMMIT, which checkpoints cannot get past. Statements a task makes
 * through {@code unwrap()} or {@code Statement.getConnection()} (the raw connection) are beyond its reach:
 * should one be left running, the writer resets every statement as a last resort (BatchRunner).
 * Writer thread only.
 */
final class StatementCache {
  private final Connection connection;
  private final int capacity;
  private final Connection facade;
  /** Access-ordered: the eldest is the least recently used. */
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  private final List<Entry> checkedOut = new ArrayList<>();
  /** Uncached statements the running task opened: closed after it if it did not (see {@link #closeLeftovers()}). */
  private final List<java.sql.Statement> opened = new ArrayList<>();
  private long hits;
  private long misses;

  private final class Entry {
    final PreparedStatement statement;
    final PreparedStatement view;
    /** Result sets handed out since the checkout: closed on give-back, which resets the statement. */
    final List<java.sql.ResultSet> results = new ArrayList<>(1);
    boolean inUse;
    boolean evicted;
    /** execute() returned a result set since the checkout, which the task may not have taken. */
    boolean queryExecuted;

    Entry(PreparedStatement statement) {
      this.statement = statement;
      this.view = (PreparedStatement) Proxy.newProxyInstance(PreparedStatement.class.getClassLoader(),
          new Class<?>[] {PreparedStatement.class}, this::invokeOnStatement);
    }

    private Object invokeOnStatement(Object proxy, Method method, Object[] args) throws Throwable {
      switch (method.getName()) {
        case "close":
          if (inUse) {
            giveBack(this);
            checkedOut.remove(this);
          }
          return null;
        case "isClosed":
          return !inUse || statement.isClosed();
        case "getConnection":
          return facade;
        case "equals":
          return proxy == args[0];
        case "hashCode":
          return System.identityHashCode(proxy);
        default:
          if (!inUse) {
            throw new SQLException("statement used after close() (cached statements are handed back on close)");
          }
          Object result = delegate(statement, method, args);
          if (result instanceof java.sql.ResultSet rs) {
            results.add(rs);
          } else if (Boolean.TRUE.equals(result) && method.getName().equals("execute")) {
            queryExecuted = true; // a result set the task may never ask for: reset on give-back
          }
          return result;
      }
    }
  }

  StatementCache(Connection connection, int capacity) {
    this.connection = connection;
    this.capacity = capacity;
    this.facade = (Connection) Proxy.newProxyInstance(
        Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, this::invokeOnConnection);
  }

  /** What write tasks are given. */
  Connection connection() {
    return facade;
  }

  long hits() {
    return hits;
  }

  long misses() {
    return misses;
  }

  private Object invokeOnConnection(Object proxy, Method method, Object[] args) throws Throwable {
    if (method.getName().equals("prepareStatement") && args != null && args.length == 1 && args[0] instanceof String sql) {
      return prepare(sql);
    }
    switch (method.getName()) {
      case "equals":
        return proxy == args[0];
      case "hashCode":
        return System.identityHashCode(proxy);
      case "toString":
        return "cached(" + connection + ")";
      case "close":
        // The writer's one connection outlives every task: closing it would fail every later write.
        throw new SQLException("a write task must not close the writer's connection (the store owns it and "
            + "keeps it open for the next write)");
      case "createStatement":
      case "prepareStatement":
      case "prepareCall":
        return opened((java.sql.Statement) delegate(connection, method, args));
      default:
        return delegate(connection, method, args);
    }
  }

  private <S extends java.sql.Statement> S opened(S statement) {
    opened.add(statement);
    return statement;
  }

  /**
   * Whether the task that just returned left uncached statements open (cheap: nothing to look at on the
   * common path). If it did not, forgets the ones it opened and closed.
   */
  boolean leftOpen() {
    if (opened.isEmpty()) {
      return false;
    }
    for (java.sql.Statement st : opened) {
      try {
        if (!st.isClosed()) {
          return true;
        }
      } catch (SQLException e) {
        return true;
      }
    }
    opened.clear();
    return false;
  }

  /**
   * After a task (and after the SAVEPOINT probe that judges it, see BatchRunner#leftRunning): closes the uncached
   * statements it opened and left open, which finalizes them, so none keeps running on the writer
   * connection.
   *
   * @return how many were left open
   */
  int closeLeftovers() {
    if (opened.isEmpty()) {
      return 0;
    }
    int left = 0;
    for (java.sql.Statement st : opened) {
      try {
        if (!st.isClosed()) {
          left++;
          st.close();
        }
      } catch (SQLException ignored) {
        // finalizing a statement of a healthy connection does not fail; nothing to do if it did
      }
    }
    opened.clear();
    return left;
  }

  private PreparedStatement prepare(String sql) throws SQLException {
    Entry e = entries.get(sql);
    if (e != null) {
      if (e.inUse) {
        misses++;
        return opened(connection.prepareStatement(sql)); // the same SQL twice in one task: a plain one
      }
      hits++;
    } else if (capacity == 0) {
      misses++;
      return opened(connection.prepareStatement(sql)); // no cache: a plain one, closed after the task if left open
    } else {
      misses++;
      e = new Entry(connection.prepareStatement(sql));
      entries.put(sql, e);
      evictPastCapacity();
    }
    e.inUse = true;
    checkedOut.add(e);
    return e.view;
  }

  private void evictPastCapacity() {
    Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
    while (entries.size() > capacity && it.hasNext()) {
      Entry eldest = it.next().getValue();
      it.remove();
      eldest.evicted = true;
      if (!eldest.inUse) {
        closeQuietly(eldest.statement);
      } // else finalized when handed back
    }
  }

  /** After each task: hands back what it left open. */
  void afterTask() {
    if (checkedOut.isEmpty()) {
      return;
    }
    for (Entry e : checkedOut) {
      giveBack(e);
    }
    checkedOut.clear();
  }

  private void giveBack(Entry e) {
    e.inUse = false;
    if (e.queryExecuted && e.results.isEmpty()) {
      // A query run with execute() and never read keeps its statement active, and with it a read
      // transaction on the writer's connection that fails every checkpoint: close its result to reset it.
      try {
        java.sql.ResultSet unread = e.statement.getResultSet();
        if (unread != null) {
          unread.close();
        }
      } catch (SQLException ignored) {
        // already reset
      }
    }
    e.queryExecuted = false;
    for (java.sql.ResultSet rs : e.results) {
      try {
        rs.close(); // resets the statement: an unfinished query would keep it active (VACUUM refuses)
      } catch (SQLException ignored) {
        // already closed with its statement
      }
    }
    e.results.clear();
    if (e.evicted) {
      closeQuietly(e.statement);
      return;
    }
    try {
      e.statement.clearParameters();
      e.statement.clearBatch();
    } catch (SQLException failed) {
      // A statement that cannot be reset is not reused.
      entries.remove(keyOf(e));
      closeQuietly(e.statement);
    }
  }

  private String keyOf(Entry e) {
    for (Map.Entry<String, Entry> m : entries.entrySet()) {
      if (m.getValue() == e) {
        return m.getKey();
      }
    }
    return null;
  }

  /** Finalizes every cached statement. */
  void clear() {
    closeLeftovers();
    for (Entry e : entries.values()) {
      e.inUse = false;
      closeQuietly(e.statement);
    }
    entries.clear();
    checkedOut.clear();
  }

  private static Object delegate(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static void closeQuietly(PreparedStatement s) {
    try {
      s.close();
    } catch (SQLException ignored) {
      // finalizing a statement of a healthy connection does not fail; nothing to do if it did
    }
  }
}
