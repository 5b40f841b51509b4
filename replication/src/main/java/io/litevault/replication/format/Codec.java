package io.litevault.replication.format;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import net.jpountz.lz4.LZ4FrameInputStream;
import net.jpountz.lz4.LZ4FrameOutputStream;

/**
 * How the page data of segments and snapshots is compressed; its id is stored in every object, so a
 * reader never guesses. Chosen by measurement (benchmarks/RESULTS.md, "Compression"): see
 * {@link ReplicatorOptions#DEFAULT_CODEC}.
 */
public enum Codec {
  /** No compression. */
  NONE(0),
  /** LZ4 frames: the fastest, weaker ratio. */
  LZ4(1),
  /** Zstandard level 1: near LZ4 speed, clearly smaller on SQLite pages. */
  ZSTD(2);

  final int id;

  Codec(int id) {
    this.id = id;
  }

  static Codec byId(int id) throws FormatException {
    for (Codec c : values()) {
      if (c.id == id) {
        return c;
      }
    }
    throw new FormatException("unknown codec id " + id + " (a corrupt object, or one written by a newer Litevault)");
  }

  /** Wraps {@code out}; closing the returned stream finishes the compressed frame but NOT {@code out}. */
  OutputStream compress(OutputStream out) throws IOException {
    OutputStream keepOpen = new FilterOutputStream(out) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        flush();
      }
    };
    return switch (this) {
      case NONE -> keepOpen;
      case LZ4 -> new LZ4FrameOutputStream(keepOpen);
      case ZSTD -> new ZstdOutputStream(keepOpen, 1);
    };
  }

  /** Bytes decompressed per call into the codec (ZstdInputStream's own recommended output size). */
  private static final int DECOMPRESS_BUFFER = 128 * 1024;

  /** Wraps {@code in} to decompress what {@link #compress} wrote. */
  InputStream decompress(InputStream in) throws IOException {
    return switch (this) {
      case NONE -> in;
      // Buffered: readers take one page at a time, and a JNI decompression call per 4 KiB page was
      // a measurable part of a restore.
      case LZ4 -> new java.io.BufferedInputStream(new LZ4FrameInputStream(in), DECOMPRESS_BUFFER);
      case ZSTD -> new java.io.BufferedInputStream(new ZstdInputStream(in), DECOMPRESS_BUFFER);
    };
  }
}
