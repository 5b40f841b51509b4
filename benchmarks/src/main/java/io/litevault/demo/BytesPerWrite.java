package io.litevault.demo;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import io.litevault.replication.format.CompactedCodec;
import io.litevault.replication.format.Segment;
import io.litevault.replication.format.SegmentCodec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Issue 14, "Bytes per write": where a replica's bytes go, and what other encodings of the same pages would
 * weigh and cost to decode. Offline, on the objects of a finished run: give it a bucket in the file layout
 * (the demo's {@code <work-dir>/bucket-export}, or any {@code file://} replica root).
 *
 * <p>Part 1 lists the objects by kind (lease, snapshots, fine segments, compacted ranges per level). Part 2
 * decodes every {@code --every}-th segment and range with the real codecs and re-encodes its pages in other
 * ways, none of them a format Litevault writes today except the first of each list:
 * <ul>
 *   <li>segments: the payload as {@link SegmentCodec} lays it out, compressed as one zstd stream at several
 *       levels and window sizes (a larger window lets zstd match a page's earlier image in the same segment);
 *       and "xor": every image of a page after its first in the segment stored as its XOR with the previous
 *       image (mostly zeros), then zstd;</li>
 *   <li>ranges: the same 256-page chunks, compressed independently, at several levels.</li>
 * </ul>
 * For each: bytes, compression time and decompression time per MiB of page data (the restore side; for xor
 * it includes undoing the XOR), and, for the real objects, the time of the real decoders
 * ({@link SegmentCodec#decodeNet}, {@link CompactedCodec#read}).
 *
 * <pre>java -cp benchmarks/target/litevault-demo.jar io.litevault.demo.BytesPerWrite &lt;bucket dir&gt; [--every N] [--writes W]</pre>
 */
public final class BytesPerWrite {
  private static final int CHUNK_PAGES = 256;

  /** One way to compress: zstd level, window log (0: the level's default), and whether pages are XORed. */
  record Variant(String name, int level, int windowLog, boolean xor, int distance) {
    Variant(String name, int level, int windowLog, boolean xor) {
      this(name, level, windowLog, xor, -1);
    }
  }

  static final List<Variant> SEGMENT_VARIANTS = List.of(
      new Variant("zstd-1 (today)", 1, 0, false),
      new Variant("zstd-3", 3, 0, false),
      new Variant("zstd-6", 6, 0, false),
      new Variant("zstd-1 window 8 MiB", 1, 23, false),
      new Variant("zstd-3 window 8 MiB", 3, 23, false),
      new Variant("xor + zstd-1", 1, 0, true),
      new Variant("xor + zstd-3", 3, 0, true),
      new Variant("xor + zstd-1 window 8 MiB", 1, 23, true),
      new Variant("form byte, xor if sparser + zstd-1", 1, 0, true, 0),
      new Variant("form byte, xor if sparser and >= 32 KiB back + zstd-1", 1, 0, true, 32 << 10),
      new Variant("form byte, xor if sparser and >= 128 KiB back + zstd-1", 1, 0, true, 128 << 10),
      new Variant("form byte, xor if sparser and >= 512 KiB back + zstd-1", 1, 0, true, 512 << 10));

  static final List<Variant> RANGE_VARIANTS = List.of(
      new Variant("zstd-1 (today)", 1, 0, false),
      new Variant("zstd-3", 3, 0, false),
      new Variant("zstd-6", 6, 0, false),
      new Variant("zstd-1 window 8 MiB", 1, 23, false));

  /** Totals of one variant. */
  static final class Tally {
    long bytes;
    long compressNanos;
    long decompressNanos;
  }

  private BytesPerWrite() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    int every = 1;
    long writes = 0;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--every" -> every = Integer.parseInt(args[++i]);
        case "--writes" -> writes = Long.parseLong(args[++i]);
        case "--copy-to" -> {
          // A copy of the bucket to time restores on: segments as stored or re-encoded by this build, ranges
          // kept or dropped (without ranges a restore reads every segment).
          copy(root, Path.of(args[i + 1]), args[i + 2].equals("current"), args[i + 3].equals("keep"));
          return;
        }
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    PrintStream out = System.out;
    List<Path> files;
    try (Stream<Path> s = Files.walk(root)) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    }
    // Part 1: by kind.
    Map<String, long[]> kinds = new TreeMap<>();
    List<Path> segments = new ArrayList<>();
    List<Path> ranges = new ArrayList<>();
    long total = 0;
    for (Path f : files) {
      String key = root.relativize(f).toString().replace('\\', '/');
      long size = Files.size(f);
      String kind;
      if (key.endsWith(".lvsg")) {
        kind = "segments (.lvsg)";
        segments.add(f);
      } else if (key.endsWith(".lvsn")) {
        kind = "snapshots (.lvsn)";
      } else if (key.endsWith(".lvcr")) {
        String level = key.substring(key.indexOf("/levels/") + 8, key.lastIndexOf('/'));
        kind = "ranges level " + level + " (.lvcr)";
        ranges.add(f);
      } else if (key.contains("/leases/") || key.endsWith("/lease")) {
        kind = "lease";
      } else {
        kind = "other: " + key;
      }
      long[] t = kinds.computeIfAbsent(kind, k -> new long[2]);
      t[0]++;
      t[1] += size;
      total += size;
    }
    out.println("| kind | objects | MiB | share | bytes per write |");
    out.println("|---|---:|---:|---:|---:|");
    for (Map.Entry<String, long[]> e : kinds.entrySet()) {
      out.printf("| %s | %,d | %,.1f | %.1f%% | %s |%n", e.getKey(), e.getValue()[0], e.getValue()[1] / 1048576.0,
          100.0 * e.getValue()[1] / total, writes > 0 ? String.format("%,.0f", (double) e.getValue()[1] / writes) : "");
    }
    out.printf("| all | %,d | %,.1f | 100%% | %s |%n%n", files.size(), total / 1048576.0,
        writes > 0 ? String.format("%,.0f", (double) total / writes) : "");

    // Part 2: segments.
    Map<Variant, Tally> seg = new LinkedHashMap<>();
    SEGMENT_VARIANTS.forEach(v -> seg.put(v, new Tally()));
    long segStored = 0;
    long segRaw = 0;
    long realDecodeNanos = 0;
    long v2Bytes = 0;
    long v2EncodeNanos = 0;
    long v2DecodeNanos = 0;
    long v1DecodeNanos = 0;
    int[] currentVersions = new int[3];
    long images = 0;
    long repeats = 0;
    long repeatChangedBytes = 0;
    int sampled = 0;
    for (int i = 0; i < segments.size(); i += every) {
      byte[] object = Files.readAllBytes(segments.get(i));
      long t0 = System.nanoTime();
      SegmentCodec.decodeNet(object, segments.get(i).toString());
      realDecodeNanos += System.nanoTime() - t0;
      Segment s = SegmentCodec.decode(object, segments.get(i).toString());
      segStored += object.length;
      // The real codec as this build writes with segmentFormat(V2) against the object as it was stored,
      // decoded alternately so both see the same machine.
      long e0 = System.nanoTime();
      byte[] current = SegmentCodec.encode(s, io.litevault.replication.format.Codec.ZSTD,
          io.litevault.replication.format.SegmentFormat.V2);
      v2EncodeNanos += System.nanoTime() - e0;
      v2Bytes += current.length;
      currentVersions[Math.min(2, ((current[4] & 0xff) << 8) | (current[5] & 0xff))]++;
      for (int round = 0; round < 2; round++) {
        long d0 = System.nanoTime();
        SegmentCodec.decodeNet(object, "stored");
        long d1 = System.nanoTime();
        SegmentCodec.decodeNet(current, "current");
        long d2 = System.nanoTime();
        if (round == 1) {
          v1DecodeNanos += d1 - d0;
          v2DecodeNanos += d2 - d1;
        }
      }
      byte[] plain = payload(s, false);
      byte[] xored = payload(s, true);
      segRaw += plain.length;
      sampled++;
      Map<Integer, byte[]> last = new HashMap<>();
      for (Segment.Txn t : s.transactions()) {
        for (Map.Entry<Integer, byte[]> p : t.pages().entrySet()) {
          images++;
          byte[] before = last.put(p.getKey(), p.getValue());
          if (before != null) {
            repeats++;
            for (int k = 0; k < before.length; k++) {
              if (before[k] != p.getValue()[k]) {
                repeatChangedBytes++;
              }
            }
          }
        }
      }
      Map<Integer, byte[]> expected = null;
      for (Map.Entry<Variant, Tally> e : seg.entrySet()) {
        Variant v = e.getKey();
        byte[] src = v.distance >= 0 ? formPayload(s, v.distance) : v.xor ? xored : plain;
        long c0 = System.nanoTime();
        byte[] z = compress(src, v);
        long c1 = System.nanoTime();
        Map<Integer, byte[]> net = v.distance >= 0 ? null : decodeSegmentPayload(z, s.pageSize(), v.xor);
        long c2 = System.nanoTime();
        if (expected == null) {
          expected = net;
        } else if (net != null && !sameNet(expected, net)) {
          throw new IllegalStateException(v.name + " does not decode to the same pages in " + segments.get(i));
        }
        e.getValue().bytes += z.length;
        e.getValue().compressNanos += c1 - c0;
        e.getValue().decompressNanos += c2 - c1;
      }
    }
    out.printf("segments: %,d of %,d decoded (every %d-th): %,.1f MiB stored, %,.1f MiB of payload; %,d page images, "
        + "%,d (%.1f%%) repeat a page already in the same segment, changing %.0f bytes of %d on average%n",
        sampled, segments.size(), every, segStored / 1048576.0, segRaw / 1048576.0, images, repeats,
        100.0 * repeats / Math.max(1, images), repeatChangedBytes / (double) Math.max(1, repeats), pageSizeOf(segments));
    out.printf("real SegmentCodec.decodeNet: %.2f ms per MiB of payload%n", realDecodeNanos / 1e6 / (segRaw / 1048576.0));
    table(out, seg, segRaw);
    double segMib = segRaw / 1048576.0;
    out.printf("real SegmentCodec, stored objects vs this build's encoding (%d as version 1, %d as version 2): %,.1f vs %,.1f MiB (%+.1f%%); "
        + "encode %.2f ms/MiB; decodeNet %.2f vs %.2f ms/MiB of payload (second of two alternating rounds)%n",
        currentVersions[1], currentVersions[2], segStored / 1048576.0, v2Bytes / 1048576.0, 100.0 * (v2Bytes - segStored) / segStored,
        v2EncodeNanos / 1e6 / segMib, v1DecodeNanos / 1e6 / segMib, v2DecodeNanos / 1e6 / segMib);

    // Ranges.
    Map<Variant, Tally> rng = new LinkedHashMap<>();
    RANGE_VARIANTS.forEach(v -> rng.put(v, new Tally()));
    long rngStored = 0;
    long rngRaw = 0;
    long realRangeNanos = 0;
    sampled = 0;
    for (int i = 0; i < ranges.size(); i += every) {
      byte[] object = Files.readAllBytes(ranges.get(i));
      rngStored += object.length;
      sampled++;
      List<byte[]> chunks = new ArrayList<>();
      ByteArrayOutputStream[] cur = {new ByteArrayOutputStream()};
      int[] inChunk = {0};
      long t0 = System.nanoTime();
      CompactedCodec.read(new ByteArrayInputStream(object), ranges.get(i).toString(), (pgno, page) -> {
        DataOutputStream d = new DataOutputStream(cur[0]);
        d.writeInt(pgno);
        d.write(page);
        if (++inChunk[0] == CHUNK_PAGES) {
          chunks.add(cur[0].toByteArray());
          cur[0] = new ByteArrayOutputStream();
          inChunk[0] = 0;
        }
      });
      realRangeNanos += System.nanoTime() - t0;
      if (inChunk[0] > 0) {
        chunks.add(cur[0].toByteArray());
      }
      for (byte[] c : chunks) {
        rngRaw += c.length;
      }
      for (Map.Entry<Variant, Tally> e : rng.entrySet()) {
        for (byte[] c : chunks) {
          long c0 = System.nanoTime();
          byte[] z = compress(c, e.getKey());
          long c1 = System.nanoTime();
          drain(new ZstdInputStream(new ByteArrayInputStream(z)));
          long c2 = System.nanoTime();
          e.getValue().bytes += z.length;
          e.getValue().compressNanos += c1 - c0;
          e.getValue().decompressNanos += c2 - c1;
        }
      }
    }
    out.printf("%nranges: %,d of %,d decoded: %,.1f MiB stored, %,.1f MiB of pages%n", sampled, ranges.size(),
        rngStored / 1048576.0, rngRaw / 1048576.0);
    out.printf("real CompactedCodec.read (pages copied into chunks): %.2f ms per MiB of pages%n",
        realRangeNanos / 1e6 / (rngRaw / 1048576.0));
    table(out, rng, rngRaw);
  }

  private static void copy(Path root, Path to, boolean reencode, boolean keepRanges) throws IOException {
    long before = 0;
    long after = 0;
    int[] versions = new int[3];
    try (Stream<Path> s = Files.walk(root)) {
      for (Path f : s.filter(Files::isRegularFile).toList()) {
        String name = f.getFileName().toString();
        if (name.endsWith(".lvcr") && !keepRanges) {
          continue;
        }
        Path target = to.resolve(root.relativize(f).toString());
        Files.createDirectories(target.getParent());
        byte[] body = Files.readAllBytes(f);
        if (name.endsWith(".lvsg")) {
          before += body.length;
          if (reencode) {
            body = SegmentCodec.encode(SegmentCodec.decode(body, name), io.litevault.replication.format.Codec.ZSTD,
                io.litevault.replication.format.SegmentFormat.V2);
          }
          after += body.length;
          versions[Math.min(2, ((body[4] & 0xff) << 8) | (body[5] & 0xff))]++;
        }
        Files.write(target, body);
      }
    }
    System.out.printf("copied to %s: segments %,d -> %,d bytes (versions 1/2: %d/%d), ranges %s%n", to, before, after,
        versions[1], versions[2], keepRanges ? "kept" : "dropped");
  }

  private static int pageSizeOf(List<Path> segments) throws IOException {
    return segments.isEmpty() ? 0 : SegmentCodec.decode(Files.readAllBytes(segments.get(0)), "").pageSize();
  }

  private static void table(PrintStream out, Map<Variant, Tally> tallies, long raw) {
    Tally base = tallies.values().iterator().next();
    double mib = raw / 1048576.0;
    out.println("| encoding | MiB | vs today | compress ms/MiB | decompress ms/MiB |");
    out.println("|---|---:|---:|---:|---:|");
    for (Map.Entry<Variant, Tally> e : tallies.entrySet()) {
      Tally t = e.getValue();
      out.printf("| %s | %,.1f | %+.1f%% | %.2f | %.2f |%n", e.getKey().name, t.bytes / 1048576.0,
          100.0 * (t.bytes - base.bytes) / base.bytes, t.compressNanos / 1e6 / mib, t.decompressNanos / 1e6 / mib);
    }
  }

  /**
   * The segment payload as {@link SegmentCodec} lays it out; with {@code xor}, an image of a page already
   * imaged earlier in the segment is written as its XOR with that earlier (the previous) image.
   */
  static byte[] payload(Segment s, boolean xor) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream(1 << 20);
    DataOutputStream p = new DataOutputStream(buf);
    Map<Integer, byte[]> last = new HashMap<>();
    byte[] delta = new byte[s.pageSize()];
    for (Segment.Txn t : s.transactions()) {
      p.writeLong(t.txid());
      p.writeLong(t.timestampMillis());
      p.writeInt(t.dbSizePages());
      p.writeLong(t.checksumAfter());
      p.writeInt(t.pages().size());
      for (Map.Entry<Integer, byte[]> e : t.pages().entrySet()) {
        p.writeInt(e.getKey());
        byte[] before = xor ? last.put(e.getKey(), e.getValue()) : null;
        if (before == null) {
          p.write(e.getValue());
        } else {
          for (int k = 0; k < delta.length; k++) {
            delta[k] = (byte) (before[k] ^ e.getValue()[k]);
          }
          p.write(delta);
        }
      }
    }
    p.flush();
    return buf.toByteArray();
  }

  /**
   * Version 2's layout (a form byte per page) with a writer rule: XOR when the XOR has fewer non-zero bytes
   * than the image and the previous image is at least {@code distance} bytes back in the payload.
   */
  static byte[] formPayload(Segment s, int distance) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream(1 << 20);
    DataOutputStream p = new DataOutputStream(buf);
    Map<Integer, byte[]> last = new HashMap<>();
    Map<Integer, Integer> at = new HashMap<>();
    byte[] delta = new byte[s.pageSize()];
    for (Segment.Txn t : s.transactions()) {
      p.writeLong(t.txid());
      p.writeLong(t.timestampMillis());
      p.writeInt(t.dbSizePages());
      p.writeLong(t.checksumAfter());
      p.writeInt(t.pages().size());
      for (Map.Entry<Integer, byte[]> e : t.pages().entrySet()) {
        p.writeInt(e.getKey());
        byte[] image = e.getValue();
        byte[] before = last.put(e.getKey(), image);
        Integer from = at.put(e.getKey(), p.size());
        boolean useXor = false;
        if (before != null && p.size() - from >= distance) {
          int xn = 0;
          int in = 0;
          for (int k = 0; k < delta.length; k++) {
            delta[k] = (byte) (before[k] ^ image[k]);
            xn += delta[k] == 0 ? 0 : 1;
            in += image[k] == 0 ? 0 : 1;
          }
          useXor = xn < in;
        }
        p.writeByte(useXor ? 1 : 0);
        p.write(useXor ? delta : image);
      }
    }
    p.flush();
    return buf.toByteArray();
  }

  static byte[] compress(byte[] src, Variant v) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream(src.length / 3 + 64);
    try (ZstdOutputStream z = new ZstdOutputStream(buf, v.level)) {
      if (v.windowLog > 0) {
        z.setWindowLog(v.windowLog);
      }
      z.write(src);
    }
    return buf.toByteArray();
  }

  /**
   * Decodes a segment payload the way a restore does (each page read in place over its net image, as
   * {@link SegmentCodec#decodeNet} does), undoing the XOR when {@code xor}.
   */
  static Map<Integer, byte[]> decodeSegmentPayload(byte[] z, int pageSize, boolean xor) throws IOException {
    Map<Integer, byte[]> net = new HashMap<>();
    byte[] delta = new byte[pageSize];
    try (DataInputStream p = new DataInputStream(new java.io.BufferedInputStream(
        new ZstdInputStream(new ByteArrayInputStream(z)), 128 * 1024))) {
      while (true) {
        try {
          p.readLong();
        } catch (java.io.EOFException end) {
          return net;
        }
        p.readLong();
        p.readInt();
        p.readLong();
        int count = p.readInt();
        for (int j = 0; j < count; j++) {
          int pgno = p.readInt();
          byte[] page = net.get(pgno);
          if (page == null) {
            page = new byte[pageSize];
            net.put(pgno, page);
            p.readFully(page);
          } else if (xor) {
            p.readFully(delta);
            for (int k = 0; k < pageSize; k++) {
              page[k] ^= delta[k];
            }
          } else {
            p.readFully(page);
          }
        }
      }
    }
  }

  private static boolean sameNet(Map<Integer, byte[]> a, Map<Integer, byte[]> b) {
    if (!a.keySet().equals(b.keySet())) {
      return false;
    }
    for (Map.Entry<Integer, byte[]> e : a.entrySet()) {
      if (!java.util.Arrays.equals(e.getValue(), b.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  private static void drain(InputStream in) throws IOException {
    byte[] b = new byte[128 * 1024];
    try (in) {
      while (in.read(b) >= 0) {
        // just decompress
      }
    }
  }

}
