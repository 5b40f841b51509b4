package io.litevault.replication.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Writes database pages into a file, gathering runs of consecutive page numbers into one positional
 * write of up to {@link #RUN_BYTES}. A restore writes a gibibyte of snapshot pages in page order and
 * then the final versions of each segment's pages in page order: one 4 KiB {@code pwrite} per page was
 * the largest cost of a restore (a quarter of a million system calls for a 1 GiB snapshot alone).
 *
 * <p>Pages must come in increasing page-number order between flushes (out of order they are still
 * written correctly, only in more calls). Page {@code n} (1-based) lives at byte offset
 * {@code (n - 1) * pageSize}: the database file is the array of its pages
 * (<a href="https://www.sqlite.org/fileformat2.html#pages">file format, 1.1 Pages</a>).
 */
public final class PageFileWriter {
  /** 1 MiB per write: large enough to make the system call cost vanish, small enough to stay cached. */
  static final int RUN_BYTES = 1 << 20;

  private final FileChannel file;
  private final int pageSize;
  /** Where full runs are written while the next one fills; null to write on the caller's thread. */
  private final java.util.concurrent.Executor io;
  private ByteBuffer run;
  /** The other buffer: being written by {@link #io}, or free once {@link #inFlight} is done. */
  private ByteBuffer spare;
  private java.util.concurrent.CompletableFuture<Void> inFlight;
  /** Page number of the first page in {@link #run}. */
  private int runStart;
  private int runPages;

  public PageFileWriter(FileChannel file, int pageSize) {
    this(file, pageSize, null);
  }

  /**
   * With {@code io}, a full run is written there while the caller fills the other buffer (a restore's
   * snapshot: decompression and hashing on one core, the copy into the page cache on the other).
   */
  public PageFileWriter(FileChannel file, int pageSize, java.util.concurrent.Executor io) {
    this.file = file;
    this.pageSize = pageSize;
    this.io = io;
    int capacity = Math.max(pageSize, RUN_BYTES / pageSize * pageSize);
    this.run = ByteBuffer.allocateDirect(capacity);
    this.spare = io == null ? null : ByteBuffer.allocateDirect(capacity);
  }

  /** Queues page {@code pgno}; the run is written when the page does not continue it or it is full. */
  public void write(int pgno, byte[] page) throws IOException {
    if (page.length != pageSize) {
      throw new IllegalArgumentException("page " + pgno + " is " + page.length + " bytes, expected " + pageSize);
    }
    if (runPages > 0 && (pgno != runStart + runPages || run.remaining() < pageSize)) {
      writeRun();
    }
    if (runPages == 0) {
      runStart = pgno;
    }
    run.put(page);
    runPages++;
  }

  /** Writes everything queued and returns once it is in the file (before any truncate of it). */
  public void flush() throws IOException {
    writeRun();
    awaitInFlight();
  }

  private void writeRun() throws IOException {
    if (runPages == 0) {
      return;
    }
    ByteBuffer full = run;
    full.flip();
    long position = (long) (runStart - 1) * pageSize;
    runPages = 0;
    if (io == null) {
      writeFully(full, position);
      full.clear();
      return;
    }
    awaitInFlight(); // the spare buffer is free once the previous run is written
    inFlight = java.util.concurrent.CompletableFuture.runAsync(() -> {
      try {
        writeFully(full, position);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }, io);
    run = spare;
    run.clear();
    spare = full;
  }

  private void awaitInFlight() throws IOException {
    if (inFlight == null) {
      return;
    }
    try {
      inFlight.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof java.io.UncheckedIOException u) {
        throw u.getCause();
      }
      throw e;
    } finally {
      inFlight = null;
    }
  }

  private void writeFully(ByteBuffer buffer, long position) throws IOException {
    while (buffer.hasRemaining()) {
      position += file.write(buffer, position);
    }
  }
}
