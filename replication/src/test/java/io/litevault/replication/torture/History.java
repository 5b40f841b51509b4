package io.litevault.replication.torture;

import io.litevault.replication.Durability;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the workload did and saw, in one place, for the oracle: every write (its tag, durability,
 * submit time, row of the write log, acknowledgement time), the branches of history (a branch ends when
 * the local file is rolled back), the content hash after each write at quiescent points, and where the
 * replicator said each store txid went in the bucket.
 *
 * <p>The write log: every write task the workload submits appends one row {@code (seq, tag)} to table
 * {@code wlog}, in the same transaction, so any database (live or restored) says by its {@code wlog} exactly
 * which writes it contains, in commit order, and its content is a function of its last tag.
 */
final class History implements Recorder {
  static final class Write {
    final String tag;
    final Durability durability;
    final long submitMillis;
    long seq = -1;
    long ackMillis = -1;

    Write(String tag, Durability durability, long submitMillis) {
      this.tag = tag;
      this.durability = durability;
      this.submitMillis = submitMillis;
    }

    boolean acked() {
      return ackMillis >= 0;
    }
  }

  /** A line of history: write-log tags by seq (index seq - 1); null where a commit was not reported yet. */
  static final class Branch {
    final long startMillis;
    final List<String> tags;

    Branch(long startMillis, List<String> tags) {
      this.startMillis = startMillis;
      this.tags = new ArrayList<>(tags);
    }

    int indexOf(String tag) {
      return tags.indexOf(tag);
    }
  }

  /** A quiescent state: content hash (null: not hashed) after write {@code lastTag}, at store txid {@code txid} of {@code epoch}. */
  record State(int epoch, long txid, String lastTag, String hash, long millis) {}

  /** A restore point reported by a replicator, resolved to the state it holds. */
  record Point(String lineage, long replicaTxid, State state) {}

  private record PositionKey(int instance, String lineage, long replicaTxid) {}

  final Map<String, Write> writes = new LinkedHashMap<>();
  final List<Branch> branches = new ArrayList<>();
  final Map<String, String> hashAfter = new HashMap<>();
  private final Map<String, State> states = new HashMap<>();
  private final Map<PositionKey, long[]> positions = new LinkedHashMap<>(); // -> {epoch, max txid}
  final List<Failure> failures = new ArrayList<>();
  private int step;
  long startMillis = System.currentTimeMillis();

  synchronized Branch current() {
    return branches.isEmpty() ? null : branches.get(branches.size() - 1);
  }

  synchronized List<String> currentTags() {
    Branch b = current();
    return b == null ? List.of() : new ArrayList<>(b.tags);
  }

  @Override
  public synchronized void opened(int epoch, List<String> tags, long millis) {
    Branch cur = current();
    if (cur == null) {
      branches.add(new Branch(millis, tags));
      return;
    }
    boolean continues = tags.size() >= knownLength(cur);
    for (int i = 0; continues && i < Math.min(tags.size(), cur.tags.size()); i++) {
      continues = cur.tags.get(i) == null || cur.tags.get(i).equals(tags.get(i));
    }
    if (continues) {
      cur.tags.clear();
      cur.tags.addAll(tags);
    } else {
      branches.add(new Branch(millis, tags)); // the local file went back in time (or elsewhere)
    }
  }

  private static int knownLength(Branch b) {
    int n = b.tags.size();
    while (n > 0 && b.tags.get(n - 1) == null) {
      n--;
    }
    return n;
  }

  @Override
  public synchronized void step(int index, String description) {
    step = index + 1;
  }

  synchronized int currentStep() {
    return step;
  }

  @Override
  public synchronized void submitted(String tag, Durability d, long millis) {
    writes.put(tag, new Write(tag, d, millis));
  }

  @Override
  public synchronized void committed(String tag, long seq) {
    Write w = writes.get(tag);
    if (w != null) {
      w.seq = seq;
    }
    Branch b = current();
    int i = (int) seq - 1;
    while (b.tags.size() <= i) {
      b.tags.add(null);
    }
    String there = b.tags.get(i);
    if (there != null && !there.equals(tag)) {
      failures.add(new Failure("WLOG", step, "write " + tag + " committed as write-log row " + seq + ", which the model "
          + "had for " + there));
    }
    b.tags.set(i, tag);
  }

  @Override
  public synchronized void acked(String tag, long millis) {
    Write w = writes.get(tag);
    if (w != null) {
      w.ackMillis = millis;
    }
  }

  @Override
  public synchronized void state(int epoch, long txid, String lastTag, String hash, long millis) {
    if (hash.equals("-")) { // write log only: the content was not hashed at this point
      states.putIfAbsent(epoch + ":" + txid, new State(epoch, txid, lastTag, hashAfter.get(lastTag), millis));
      return;
    }
    String before = hashAfter.putIfAbsent(lastTag, hash);
    if (before != null && !before.equals(hash)) {
      failures.add(new Failure("CONTENT", step, "the content after write '" + lastTag + "' changed with no write in "
          + "between: hash " + before.substring(0, 12) + " then " + hash.substring(0, 12) + " (epoch " + epoch + ", txid " + txid + ")"));
    }
    states.put(epoch + ":" + txid, new State(epoch, txid, lastTag, hash, millis));
  }

  @Override
  public synchronized void position(int instance, int epoch, long txid, String lineage, long replicaTxid) {
    long[] e = positions.computeIfAbsent(new PositionKey(instance, lineage, replicaTxid), k -> new long[] {epoch, txid});
    e[1] = Math.max(e[1], txid);
  }

  @Override
  public synchronized void failure(String check, String message) {
    failures.add(new Failure(check, step, message));
  }

  synchronized void fail(String check, String message) {
    failure(check, message);
  }

  /**
   * Restore points whose state is known: a position's state is the store's at the highest txid that maps to
   * it (a snapshot covers the txids before its own), and only when a quiescent state was recorded there.
   */
  synchronized List<Point> points() {
    List<Point> out = new ArrayList<>();
    for (Map.Entry<PositionKey, long[]> e : positions.entrySet()) {
      State s = states.get(e.getValue()[0] + ":" + e.getValue()[1]);
      if (s != null) {
        out.add(new Point(e.getKey().lineage(), e.getKey().replicaTxid(), s));
      }
    }
    return out;
  }

  /** The branch prefix ending with {@code lastTag} ("" = no write), or null when no branch has it. */
  synchronized List<String> prefixThrough(String lastTag) {
    if (lastTag.isEmpty()) {
      return List.of();
    }
    for (Branch b : branches) {
      int i = b.indexOf(lastTag);
      if (i >= 0) {
        List<String> p = b.tags.subList(0, i + 1);
        return p.contains(null) ? null : new ArrayList<>(p);
      }
    }
    return null;
  }

  /** Whether {@code tags} is a prefix of some branch (null entries of a branch match unreported submitted writes). */
  synchronized boolean isPrefixOfABranch(List<String> tags) {
    for (Branch b : branches) {
      if (prefixOf(tags, b)) {
        return true;
      }
    }
    return false;
  }

  private boolean prefixOf(List<String> tags, Branch b) {
    for (int i = 0; i < tags.size(); i++) {
      String want = i < b.tags.size() ? b.tags.get(i) : null;
      if (want == null) {
        Write w = writes.get(tags.get(i));
        if (w == null || w.seq >= 0) {
          return false; // not a write we submitted, or one we know committed elsewhere
        }
      } else if (!want.equals(tags.get(i))) {
        return false;
      }
    }
    return true;
  }

  /** The branch that was current at {@code millis}. */
  synchronized Branch branchAt(long millis) {
    Branch at = branches.get(0);
    for (Branch b : branches) {
      if (b.startMillis <= millis) {
        at = b;
      }
    }
    return at;
  }

  synchronized Write write(String tag) {
    return writes.get(tag);
  }

  synchronized List<Write> ackedIn(Branch b) {
    List<Write> out = new ArrayList<>();
    for (String t : b.tags) {
      Write w = t == null ? null : writes.get(t);
      if (w != null && w.acked()) {
        out.add(w);
      }
    }
    return out;
  }

  /** Acknowledged REPLICATED writes of every branch. */
  synchronized List<Write> acked() {
    return writes.values().stream().filter(Write::acked).toList();
  }

  synchronized String hashAfter(String lastTag) {
    return hashAfter.get(Objects.requireNonNull(lastTag));
  }

  synchronized long lastAckMillis() {
    return writes.values().stream().mapToLong(w -> w.ackMillis).max().orElse(-1);
  }
}
