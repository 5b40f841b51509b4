package io.litevault.replication.format;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A random history for format properties: start pages, transactions that grow, shrink and regrow the
 * database (some grown pages left as holes, some writes past the new size), and the model of applying
 * them one by one: the final pages and the database checksum. Replayable by its seed.
 */
public record RandomHistory(byte[][] start, List<Segment.Txn> txns, List<byte[]> model, DatabaseChecksum sequential,
    int finalPages) {

  public static RandomHistory of(long seed, int txnCount, int startPages, int pageSize) {
    Random random = new Random(seed);
    List<Segment.Txn> txns = new ArrayList<>();
    int size = startPages;
    for (int t = 0; t < txnCount; t++) {
      // New size: shrink, stay, or grow. SQLite writes every page a database grows by; here some are
      // left out (holes, read back as zeros), which only makes the property stricter: a page dropped by
      // a shrink must not come back with its old content when the database grows over it again.
      int newSize = Math.max(1, size + random.nextInt(11) - 5);
      Map<Integer, byte[]> pages = new LinkedHashMap<>();
      for (int p = size + 1; p <= newSize; p++) {
        if (p == newSize || random.nextInt(10) < 7) {
          pages.put(p, page(random, pageSize));
        }
      }
      int writes = random.nextInt(5);
      for (int i = 0; i < writes; i++) {
        pages.put(1 + random.nextInt(newSize + 2), page(random, pageSize)); // sometimes past the new size (dropped)
      }
      txns.add(new Segment.Txn(t + 1, t, newSize, 0, pages));
      size = newSize;
    }
    byte[][] start = new byte[startPages][];
    for (int i = 0; i < startPages; i++) {
      start[i] = page(random, pageSize);
    }

    // One by one, in memory.
    List<byte[]> model = new ArrayList<>(Arrays.asList(start));
    DatabaseChecksum sequential = checksumOf(start);
    for (Segment.Txn t : txns) {
      sequential.resize(t.dbSizePages());
      while (model.size() > t.dbSizePages()) {
        model.remove(model.size() - 1);
      }
      for (Map.Entry<Integer, byte[]> p : t.pages().entrySet()) {
        while (model.size() < p.getKey()) {
          model.add(new byte[pageSize]);
        }
        model.set(p.getKey() - 1, p.getValue());
        sequential.set(p.getKey(), p.getValue());
      }
      sequential.resize(t.dbSizePages());
      while (model.size() > t.dbSizePages()) {
        model.remove(model.size() - 1);
      }
      while (model.size() < t.dbSizePages()) {
        model.add(new byte[pageSize]); // a page never written: a hole, zeros
      }
    }
    return new RandomHistory(start, txns, model, sequential, size);
  }

  public static byte[] page(Random r, int size) {
    byte[] p = new byte[size];
    r.nextBytes(p);
    return p;
  }

  public static DatabaseChecksum checksumOf(byte[][] pages) {
    DatabaseChecksum c = new DatabaseChecksum();
    for (int i = 0; i < pages.length; i++) {
      c.set(i + 1, pages[i]);
    }
    c.resize(pages.length);
    return c;
  }
}
