package io.litevault.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A TCP proxy that understands just enough HTTP/1.1 to fault chosen requests on their way to a real S3
 * server (normally {@link EmbeddedS3}): answer {@code 503 SlowDown} or {@code 500}, stall, or reset the
 * connection in the middle of a request or response body. Point a real client (MinIO, AWS SDK) at
 * {@link #endpoint()} and its own retry path is exercised, not a mock's.
 *
 * <p>Faults are armed with {@link #inject(Fault, int, Predicate)}: the next {@code times} requests that
 * match get the fault. Other requests pass unchanged (SigV4 signatures stay valid: nothing is rewritten).
 * Requests are parsed for framing only (Content-Length or chunked), so keep-alive connections work.
 *
 * <p>Every request is also counted by kind, with the bytes both ways ({@link #traffic()}): put one in
 * front of a server, arm no fault, and it is a request counter that any S3 client, in any process, can
 * be pointed at.
 */
public final class FaultProxy implements AutoCloseable {
  private final ServerSocket server;
  private final String targetHost;
  private final int targetPort;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "fault-proxy");
    t.setDaemon(true);
    return t;
  });
  private final List<Rule> rules = new ArrayList<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger injected = new AtomicInteger();
  private final Traffic traffic = new Traffic();
  private final List<Socket> open = new ArrayList<>();
  private volatile boolean closed;

  private FaultProxy(ServerSocket server, String targetHost, int targetPort) {
    this.server = server;
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    threads.execute(this::acceptLoop);
  }

  /** Starts a proxy on 127.0.0.1 and a random port in front of {@code target}'s host and port. */
  public static FaultProxy start(URI target) {
    try {
      ServerSocket s = new ServerSocket();
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return new FaultProxy(s, target.getHost(), target.getPort());
    } catch (IOException e) {
      throw new IllegalStateException("cannot open the fault proxy", e);
    }
  }

  /** {@code http://127.0.0.1:PORT}: give this to the client instead of the server's endpoint. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort());
  }

  /** Faults the next {@code times} requests matching {@code when}. Rules are tried in the order given. */
  public synchronized FaultProxy inject(Fault fault, int times, Predicate<HttpRequestHead> when) {
    if (times < 1) {
      throw new IllegalArgumentException("times must be >= 1, was " + times);
    }
    rules.add(new Rule(fault, new AtomicInteger(times), when));
    return this;
  }

  /** Drops all armed faults. */
  public synchronized void clear() {
    rules.clear();
  }

  /** Requests seen so far (faulted or not). */
  public int requests() {
    return requests.get();
  }

  /** Requests by kind and bytes both ways, so far. */
  public Traffic traffic() {
    return traffic;
  }

  /** Faults injected so far. */
  public int injected() {
    return injected.get();
  }

  /** Armed faults not yet used. */
  public synchronized int pending() {
    return rules.stream().mapToInt(r -> r.left.get()).sum();
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing
    }
    synchronized (open) {
      open.forEach(FaultProxy::closeQuietly);
    }
    threads.shutdownNow();
  }

  private synchronized Fault take(HttpRequestHead head) {
    for (Iterator<Rule> it = rules.iterator(); it.hasNext(); ) {
      Rule r = it.next();
      if (r.when.test(head)) {
        if (r.left.decrementAndGet() <= 0) {
          it.remove();
        }
        injected.incrementAndGet();
        return r.fault;
      }
    }
    return null;
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = server.accept();
        threads.execute(() -> serve(client));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket client) {
    Socket upstream = null;
    try {
      upstream = new Socket(targetHost, targetPort);
      track(client);
      track(upstream);
      ResponsePump pump = new ResponsePump(upstream, client, traffic);
      threads.execute(pump);
      relayRequests(client, upstream, pump);
    } catch (IOException e) {
      // a reset we caused, or the client went away
    } finally {
      closeQuietly(client);
      closeQuietly(upstream);
    }
  }

  private void relayRequests(Socket client, Socket upstream, ResponsePump pump) throws IOException {
    // Buffered (heads are read a byte at a time) and counted as it comes off the socket.
    InputStream in = new java.io.BufferedInputStream(new java.io.FilterInputStream(client.getInputStream()) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          traffic.up(1);
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
          traffic.up(n);
        }
        return n;
      }
    }, 64 * 1024);
    OutputStream up = upstream.getOutputStream();
    while (true) {
      byte[] headBytes = readHead(in);
      if (headBytes == null) {
        return;
      }
      HttpRequestHead head = parse(headBytes);
      requests.incrementAndGet();
      traffic.request(head);
      Fault fault = take(head);
      if (fault != null && (fault.type() == Fault.Type.SLOW_DOWN || fault.type() == Fault.Type.INTERNAL_ERROR)) {
        if (!"100-continue".equalsIgnoreCase(head.header("expect"))) {
          relayBody(head, in, OutputStream.nullOutputStream(), -1); // let the client finish sending
        }
        answer(client, fault.type() == Fault.Type.SLOW_DOWN ? 503 : 500);
        return;
      }
      if (fault != null && fault.type() == Fault.Type.STALL) {
        sleep(fault.stall().toMillis());
        return;
      }
      if (fault != null && fault.type() == Fault.Type.RESET_RESPONSE) {
        pump.resetAfter(fault.bytes());
      }
      up.write(headBytes);
      up.flush();
      long cut = fault != null && fault.type() == Fault.Type.RESET_REQUEST ? fault.bytes() : -1;
      if (!relayBody(head, in, up, cut)) {
        reset(client);
        reset(upstream);
        return;
      }
      up.flush();
    }
  }

  /** Copies one request body; returns false if it stopped at {@code cut} bytes. */
  private static boolean relayBody(HttpRequestHead head, InputStream in, OutputStream out, long cut)
      throws IOException {
    Counter budget = new Counter(cut);
    String te = head.header("transfer-encoding");
    if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
      while (true) {
        String sizeLine = readLine(in);
        if (!budget.write(out, (sizeLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1))) {
          return false;
        }
        int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
        if (size == 0) {
          String line;
          do {
            line = readLine(in);
            if (!budget.write(out, (line + "\r\n").getBytes(StandardCharsets.ISO_8859_1))) {
              return false;
            }
          } while (!line.isEmpty());
          return true;
        }
        if (!copy(in, out, size, budget)) {
          return false;
        }
        String crlf = readLine(in);
        if (!budget.write(out, (crlf + "\r\n").getBytes(StandardCharsets.ISO_8859_1))) {
          return false;
        }
      }
    }
    String cl = head.header("content-length");
    long length = cl == null ? 0 : Long.parseLong(cl.trim());
    return copy(in, out, length, budget);
  }

  private static boolean copy(InputStream in, OutputStream out, long n, Counter budget) throws IOException {
    byte[] buf = new byte[64 * 1024];
    long left = n;
    while (left > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (r < 0) {
        throw new IOException("client closed mid-body");
      }
      if (!budget.write(out, java.util.Arrays.copyOf(buf, r))) {
        return false;
      }
      left -= r;
    }
    return true;
  }

  /** Counts bytes against an optional cut-off. */
  private static final class Counter {
    private long left;

    Counter(long cut) {
      this.left = cut;
    }

    boolean write(OutputStream out, byte[] b) throws IOException {
      if (left < 0) {
        out.write(b);
        return true;
      }
      int n = (int) Math.min(left, b.length);
      out.write(b, 0, n);
      out.flush();
      left -= n;
      return n == b.length || left > 0;
    }
  }

  private static void answer(Socket client, int status) throws IOException {
    String code = status == 503 ? "SlowDown" : "InternalError";
    String text = status == 503 ? "Service Unavailable" : "Internal Server Error";
    byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code
        + "</Code><Message>injected by FaultProxy</Message><RequestId>fault</RequestId></Error>")
        .getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 " + status + " " + text + "\r\nContent-Type: application/xml\r\nContent-Length: "
        + body.length + "\r\nConnection: close\r\n\r\n";
    OutputStream out = client.getOutputStream();
    out.write(head.getBytes(StandardCharsets.ISO_8859_1));
    out.write(body);
    out.flush();
    client.shutdownOutput();
  }

  private static byte[] readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream(512);
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.write(b);
      matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
          ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toByteArray();
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int b;
    while ((b = in.read()) >= 0) {
      if (b == '\n') {
        int len = sb.length();
        return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
      }
      sb.append((char) b);
    }
    throw new IOException("client closed mid-line");
  }

  private static HttpRequestHead parse(byte[] head) {
    String[] lines = new String(head, StandardCharsets.ISO_8859_1).split("\r\n");
    String[] requestLine = lines[0].split(" ");
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
    }
    return new HttpRequestHead(requestLine[0], requestLine.length > 1 ? requestLine[1] : "", Map.copyOf(headers));
  }

  private void track(Socket s) {
    synchronized (open) {
      open.removeIf(Socket::isClosed);
      open.add(s);
    }
  }

  private static void reset(Socket s) {
    try {
      s.setSoLinger(true, 0);
    } catch (IOException ignored) {
      // already closed
    }
    closeQuietly(s);
  }

  private static void closeQuietly(Socket s) {
    if (s != null) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private record Rule(Fault fault, AtomicInteger left, Predicate<HttpRequestHead> when) {}

  /** Copies responses back to the client; can be armed to reset after N more bytes. */
  private static final class ResponsePump implements Runnable {
    private final Socket upstream;
    private final Socket client;
    private final Traffic traffic;
    private final AtomicLong resetAfter = new AtomicLong(-1);

    ResponsePump(Socket upstream, Socket client, Traffic traffic) {
      this.upstream = upstream;
      this.client = client;
      this.traffic = traffic;
    }

    void resetAfter(long bytes) {
      resetAfter.set(bytes);
    }

    @Override
    public void run() {
      byte[] buf = new byte[64 * 1024];
      try (InputStream in = upstream.getInputStream()) {
        OutputStream out = client.getOutputStream();
        int n;
        while ((n = in.read(buf)) >= 0) {
          long cut = resetAfter.get();
          if (cut >= 0 && n >= cut) {
            out.write(buf, 0, (int) cut);
            out.flush();
            reset(client);
            reset(upstream);
            return;
          }
          if (cut >= 0) {
            resetAfter.set(cut - n);
          }
          out.write(buf, 0, n);
          out.flush();
          traffic.down(n);
        }
        client.shutdownOutput();
      } catch (IOException e) {
        closeQuietly(client);
      }
    }
  }
}
