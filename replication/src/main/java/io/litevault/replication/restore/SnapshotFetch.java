package io.litevault.replication.restore;

import io.litevault.bucket.ObjectNotFoundException;
import io.litevault.bucket.ObjectStore;
import io.litevault.replication.format.DatabaseChecksum;
import io.litevault.replication.format.FormatException;
import io.litevault.replication.format.PageFileWriter;
import io.litevault.replication.format.SnapshotCodec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.channels.FileChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;

/**
 * Step 2 of a restore: the plan's snapshot, written into the temporary file, verified (the codec checks
 * every page) and hashed into the database checksum the chain starts from. A chunked snapshot (format
 * version 2) of more than one chunk is fetched with ranged GETs, its chunks decoded, hashed and written on
 * up to {@code parallelism} threads; a smaller one, or a version-1 snapshot, streams through the first GET.
 * Package-private.
 */
final class SnapshotFetch {
  /** The first bytes read to learn the snapshot's layout: a header and the index of 3,000 chunks (12 GiB). */
  static final int HEAD_BYTES = 64 * 1024;

  private SnapshotFetch() {}

  /**
   * The snapshot's header and the database checksum of its pages.
   *
   * @param header the snapshot's header: txid, commit time, page size, size in pages
   * @param state the database checksum after the snapshot's txid
   */
  record Base(SnapshotCodec.Header header, DatabaseChecksum state) {}

  /**
   * Writes the snapshot into {@code file} (truncated to its size) using {@code pool}.
   *
   * @throws RestoreException the snapshot is corrupt or disappeared
   */
  static Base fetch(ObjectStore store, RestorePlan plan, FileChannel file, ExecutorService pool, int parallelism)
      throws IOException {
    String key = plan.snapshot();
    try {
      InputStream whole = store.get(key);
      byte[] head;
      long need;
      SnapshotCodec.Layout layout;
      try {
        head = whole.readNBytes(HEAD_BYTES);
        need = SnapshotCodec.layoutBytes(head, key);
        if (need > head.length) { // an index longer than the first bytes: read on in the same GET
          byte[] more = whole.readNBytes(Math.toIntExact(need - head.length));
          byte[] all = java.util.Arrays.copyOf(head, head.length + more.length);
          System.arraycopy(more, 0, all, head.length, more.length);
          head = all;
        }
        layout = need < 0 || parallelism < 2 ? null : SnapshotCodec.layout(head, key);
      } catch (IOException | RuntimeException e) {
        whole.close(); // a corrupt index too: an unclosed GET keeps a pooled connection for good
        throw e;
      }
      if (layout == null || layout.chunks().size() < 2) {
        try (InputStream in = new SequenceInputStream(new ByteArrayInputStream(head), whole)) {
          return sequential(in, key, file, pool);
        }
      }
      whole.close(); // the chunks come by ranged GETs, several at once
      return parallel(store, key, layout, file, pool, parallelism);
    } catch (FormatException e) {
      throw new RestoreException(RestoreException.Kind.CORRUPT_OBJECT, "snapshot " + key + " is corrupt: "
          + e.getMessage() + "; restore an older point (Restore.list shows them)", null, e);
    } catch (ObjectNotFoundException e) {
      throw new RestoreException(RestoreException.Kind.MISSING_OBJECT, "snapshot " + key
          + " disappeared during the restore (retention?); try again", null, e);
    } catch (IOException | RuntimeException e) {
      if (Undecodable.in(e) == null) {
        throw e;
      }
      throw new RestoreException(RestoreException.Kind.CORRUPT_OBJECT, "snapshot " + key + " cannot be read: "
          + Undecodable.in(e).getMessage(), null, e);
    }
  }

  /** One stream, pages in order; full runs are written on {@code pool} while the next fills. */
  private static Base sequential(InputStream in, String key, FileChannel file, ExecutorService pool) throws IOException {
    DatabaseChecksum state = new DatabaseChecksum();
    PageFileWriter[] writer = new PageFileWriter[1];
    SnapshotCodec.Header h = SnapshotCodec.read(in, key, (pgno, page, hash) -> {
      if (writer[0] == null) {
        writer[0] = new PageFileWriter(file, page.length, pool); // the pool is idle until the segments
      }
      writer[0].write(pgno, page);
      state.setHash(pgno, hash);
    });
    if (writer[0] != null) {
      writer[0].flush();
    }
    return finish(h, state, file);
  }

  /**
   * Each chunk by its own ranged GET, decoded, checked and written at its pages' offsets by one task; at
   * most {@code parallelism} at once. Positional writes to distinct ranges of one channel are safe from
   * several threads. The page hashes land in one array (each task its own pages), read after every task is done.
   */
  private static Base parallel(ObjectStore store, String key, SnapshotCodec.Layout layout, FileChannel file,
      ExecutorService pool, int parallelism) throws IOException {
    SnapshotCodec.Header h = layout.header();
    // Per chunk, grown as its pages decode: never an allocation a header's claimed size alone asks for.
    long[][] hashes = new long[layout.chunks().size()][];
    ExecutorCompletionService<Long> done = new ExecutorCompletionService<>(pool);
    int chunkIndex = 0;
    int inFlight = 0;
    try {
      for (; inFlight < parallelism && chunkIndex < hashes.length; inFlight++) {
        submit(done, store, key, layout, chunkIndex++, file, hashes);
      }
      while (inFlight > 0) {
        done.take().get();
        inFlight--;
        if (chunkIndex < hashes.length) {
          submit(done, store, key, layout, chunkIndex++, file, hashes);
          inFlight++;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while fetching snapshot " + key);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException(cause);
    }
    DatabaseChecksum state = new DatabaseChecksum();
    for (int i = 0; i < hashes.length; i++) {
      int first = layout.chunks().get(i).firstPage();
      for (int p = 0; p < layout.chunks().get(i).pages(); p++) {
        state.setHash(first + p, hashes[i][p]);
      }
    }
    return finish(h, state, file);
  }

  private static void submit(ExecutorCompletionService<Long> done, ObjectStore store, String key,
      SnapshotCodec.Layout layout, int index, FileChannel file, long[][] hashes) {
    SnapshotCodec.Chunk c = layout.chunks().get(index);
    done.submit(() -> {
      Run run = new Run(file, layout.header().pageSize(), c.firstPage());
      Hashes mine = new Hashes();
      long xor;
      try (InputStream in = store.get(key, layout.payloadStart() + c.offset(), c.length())) {
        xor = SnapshotCodec.readChunk(in, layout.header(), c, key, (pgno, page, hash) -> {
          run.add(page);
          mine.add(hash);
        });
      }
      run.flush();
      hashes[index] = mine.values;
      return xor;
    });
  }

  /** Page hashes in decoding order, in an array that grows with the pages that really came. */
  private static final class Hashes {
    long[] values = new long[64];
    private int n;

    void add(long hash) {
      if (n == values.length) {
        values = java.util.Arrays.copyOf(values, n * 2);
      }
      values[n++] = hash;
    }
  }

  /**
   * A chunk's consecutive pages gathered into 1 MiB positional writes, in a heap buffer: a direct one per
   * chunk (256 for a gibibyte) would be freed only by a garbage collection the heap may never need.
   */
  private static final class Run {
    private final FileChannel file;
    private final int pageSize;
    private final byte[] buf;
    private int used;
    private long position;

    Run(FileChannel file, int pageSize, int firstPage) {
      this.file = file;
      this.pageSize = pageSize;
      this.buf = new byte[Math.max(1, (1 << 20) / pageSize) * pageSize];
      this.position = (long) (firstPage - 1) * pageSize; // page n lives at (n - 1) * pageSize
    }

    void add(byte[] page) throws IOException {
      if (used + pageSize > buf.length) {
        flush();
      }
      System.arraycopy(page, 0, buf, used, pageSize);
      used += pageSize;
    }

    void flush() throws IOException {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(buf, 0, used);
      while (b.hasRemaining()) {
        position += file.write(b, position);
      }
      used = 0;
    }
  }

  private static Base finish(SnapshotCodec.Header h, DatabaseChecksum state, FileChannel file) throws IOException {
    state.resize(h.dbSizePages());
    file.truncate((long) h.dbSizePages() * h.pageSize());
    return new Base(h, state);
  }
}
