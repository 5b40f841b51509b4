package io.litevault.testing;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What went through a {@link FaultProxy}: requests by kind ({@code PUT}, {@code GET} of an object,
 * {@code LIST} = a GET with {@code list-type=} or of the bucket itself (ListObjects V1), {@code HEAD},
 * {@code DELETE}, {@code POST}, and {@code OTHER}: a bucket's location and anything else), object PUTs by
 * the key's ending (what kind of object), and bytes on the wire both ways (heads included). Counted as
 * requests arrive, whatever their answer; take two {@link #snapshot()}s and {@link Snapshot#minus} them
 * for a window.
 */
public final class Traffic {
  private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> putsByKind = new ConcurrentHashMap<>();
  private final AtomicLong bytesUp = new AtomicLong();
  private final AtomicLong bytesDown = new AtomicLong();

  void request(HttpRequestHead head) {
    requests.computeIfAbsent(kind(head), k -> new LongAdder()).increment();
    if ("PUT".equals(head.method())) {
      putsByKind.computeIfAbsent(objectKind(head.target()), k -> new LongAdder()).increment();
    }
  }

  void up(long bytes) {
    bytesUp.addAndGet(bytes);
  }

  void down(long bytes) {
    bytesDown.addAndGet(bytes);
  }

  /** The counts so far. */
  public Snapshot snapshot() {
    return new Snapshot(copy(requests), copy(putsByKind), bytesUp.get(), bytesDown.get());
  }

  private static Map<String, Long> copy(Map<String, LongAdder> m) {
    Map<String, Long> c = new TreeMap<>();
    m.forEach((k, v) -> c.put(k, v.sum()));
    return c;
  }

  static String kind(HttpRequestHead head) {
    String t = head.target();
    int q = t.indexOf('?');
    String path = q < 0 ? t : t.substring(0, q);
    switch (head.method()) {
      case "GET":
        // ListObjects(V2) carries list-type= or addresses the bucket itself (path /bucket or /bucket/)
        if (t.contains("list-type=")) {
          return "LIST";
        }
        boolean bucketLevel = path.replaceAll("^/+|/+$", "").indexOf('/') < 0;
        return !bucketLevel ? "GET" : t.contains("location") ? "OTHER" : "LIST";
      case "PUT":
      case "HEAD":
      case "DELETE":
      case "POST":
        return head.method();
      default:
        return "OTHER";
    }
  }

  /**
   * What a PUT wrote, from its key: the last path segment's ending after its first dot ({@code .wal.lz4},
   * {@code .lvsg}), or, when it has no dot, the folder it is in ({@code leases/} for
   * {@code db/leases/0000000000000002}).
   */
  static String objectKind(String target) {
    int q = target.indexOf('?');
    String path = q < 0 ? target : target.substring(0, q);
    int slash = path.lastIndexOf('/');
    String last = path.substring(slash + 1);
    int dot = last.indexOf('.');
    if (dot >= 0) {
      return last.substring(dot);
    }
    String folder = path.substring(0, Math.max(0, slash));
    return folder.substring(folder.lastIndexOf('/') + 1) + "/";
  }

  /** Counts at one moment. */
  public record Snapshot(Map<String, Long> requests, Map<String, Long> putsByKind, long bytesUp, long bytesDown) {
    /** Requests of {@code kind} ({@code PUT}, {@code GET}, {@code LIST}, ...); 0 when none. */
    public long requests(String kind) {
      return requests.getOrDefault(kind, 0L);
    }

    /** This minus an earlier snapshot. */
    public Snapshot minus(Snapshot earlier) {
      return new Snapshot(diff(requests, earlier.requests), diff(putsByKind, earlier.putsByKind),
          bytesUp - earlier.bytesUp, bytesDown - earlier.bytesDown);
    }

    private static Map<String, Long> diff(Map<String, Long> a, Map<String, Long> b) {
      Map<String, Long> d = new TreeMap<>();
      a.forEach((k, v) -> {
        long n = v - b.getOrDefault(k, 0L);
        if (n != 0) {
          d.put(k, n);
        }
      });
      return d;
    }
  }
}
