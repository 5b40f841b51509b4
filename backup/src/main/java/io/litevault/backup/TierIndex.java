package io.litevault.backup;

import io.litevault.bucket.ObjectNotFoundException;
import io.litevault.bucket.ObjectStore;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * A tier's own record of what it holds, {@code <tier>/_litevault/index.tsv}: for each key (relative to the
 * tier) its size, the CRC-32C of its content computed while this module streamed it (or carried over from
 * the upstream tier's index on a server-side copy), and the upstream object's entity tag and last-modified
 * time as listed when it was copied.
 *
 * <p>This is how a run tells "unchanged" without user metadata (the house rule keeps restore data out of
 * metadata) and without trusting entity tags across stores (they differ between single and multipart
 * uploads): an upstream object is unchanged when its listed size, entity tag and last-modified time equal
 * what the index recorded, and the tier still lists the key with that size. So an unchanged source costs
 * list requests only. What this detects: any rewrite of the upstream object (new entity tag or time), and
 * a tier object deleted or resized behind our back. What it does not: a tier object rewritten out of band
 * with content of the same size (nothing but re-reading it could). The CRC-32C is an integrity check
 * against accidental corruption, not a cryptographic digest.
 *
 * <p>Text, one entry a line: {@code size TAB crc32c-hex-or-'-' TAB etag TAB lastModifiedMillis TAB key};
 * keys and entity tags contain no control characters, so tab and newline cannot occur in them.
 */
final class TierIndex {
  static final String PATH = "_litevault/index.tsv";
  private static final String HEADER = "litevault-backup-index\t1";

  /** One indexed object. {@code crc} is -1 when unknown. */
  record Entry(long size, long crc, String sourceEtag, long sourceModifiedMillis) {}

  private final Map<String, Entry> entries;
  private final Object saveLock = new Object();

  private TierIndex(Map<String, Entry> entries) {
    this.entries = entries;
  }

  static TierIndex empty() {
    return new TierIndex(new TreeMap<>());
  }

  static String key(String tierPrefix) {
    return tierPrefix + PATH;
  }

  static TierIndex load(ObjectStore store, String tierPrefix) {
    Map<String, Entry> m = new TreeMap<>();
    try (InputStream in = store.get(key(tierPrefix));
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line = r.readLine();
      if (!HEADER.equals(line)) {
        throw new IllegalStateException("unreadable tier index " + key(tierPrefix) + ": bad header");
      }
      while ((line = r.readLine()) != null) {
        String[] f = line.split("\t", 5);
        if (f.length != 5) {
          throw new IllegalStateException("unreadable tier index " + key(tierPrefix) + ": bad line");
        }
        m.put(f[4], new Entry(Long.parseLong(f[0]), f[1].equals("-") ? -1 : Long.parseLong(f[1], 16), f[2],
            Long.parseLong(f[3])));
      }
    } catch (ObjectNotFoundException e) {
      return empty();
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + key(tierPrefix) + " failed", e);
    }
    return new TierIndex(m);
  }

  synchronized Entry get(String key) {
    return entries.get(key);
  }

  synchronized void put(String key, Entry e) {
    entries.put(key, e);
  }

  synchronized void remove(String key) {
    entries.remove(key);
  }

  synchronized java.util.Set<String> keys() {
    return java.util.Set.copyOf(entries.keySet());
  }

  synchronized int size() {
    return entries.size();
  }

  /** Writes the whole index (one put). Saves are serialized, so an older snapshot never lands last. */
  void save(ObjectStore store, String tierPrefix) {
    synchronized (saveLock) {
      store.put(key(tierPrefix), serialize());
    }
  }

  private byte[] serialize() {
    byte[] body;
    synchronized (this) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(64 + entries.size() * 96);
      StringBuilder sb = new StringBuilder(HEADER).append('\n');
      for (Map.Entry<String, Entry> e : entries.entrySet()) {
        Entry v = e.getValue();
        sb.append(v.size()).append('\t').append(v.crc() < 0 ? "-" : Long.toHexString(v.crc())).append('\t')
            .append(v.sourceEtag()).append('\t').append(v.sourceModifiedMillis()).append('\t').append(e.getKey())
            .append('\n');
        if (sb.length() > 1 << 16) {
          out.writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8));
          sb.setLength(0);
        }
      }
      out.writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8));
      body = out.toByteArray();
    }
    return body;
  }
}
