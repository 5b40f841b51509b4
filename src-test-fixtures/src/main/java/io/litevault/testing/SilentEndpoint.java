package io.litevault.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A TCP endpoint on loopback that accepts every connection and never answers a byte: what a hung S3
 * server, a half-open firewall or a wrong port on a busy host looks like to a client. Counts the
 * connections it accepted (one per attempt of a client that reconnects after a timeout).
 */
public final class SilentEndpoint implements AutoCloseable {
  private final ServerSocket server;
  private final List<Socket> accepted = Collections.synchronizedList(new ArrayList<>());

  private SilentEndpoint(ServerSocket server) {
    this.server = server;
  }

  public static SilentEndpoint start() throws IOException {
    SilentEndpoint e = new SilentEndpoint(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    Thread acceptor = new Thread(() -> {
      try {
        while (true) {
          e.accepted.add(e.server.accept()); // and never answer
        }
      } catch (IOException closed) {
        // closed: the test ended
      }
    }, "silent-endpoint");
    acceptor.setDaemon(true);
    acceptor.start();
    return e;
  }

  /** {@code http://127.0.0.1:<port>}. */
  public String endpoint() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Connections accepted so far. */
  public int connections() {
    return accepted.size();
  }

  @Override
  public void close() throws IOException {
    server.close();
    synchronized (accepted) {
      for (Socket s : accepted) {
        s.close();
      }
    }
  }
}
