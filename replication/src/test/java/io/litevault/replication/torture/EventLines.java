package io.litevault.replication.torture;

import io.litevault.replication.Durability;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/** The line protocol between a child JVM's workload and the parent's {@link History}. */
final class EventLines {
  static final String PREFIX = "@ev ";

  private EventLines() {}

  /** A recorder printing every event as one line. */
  static Recorder printer(PrintStream out) {
    return new Recorder() {
      private void line(String s) {
        synchronized (out) {
          out.println(PREFIX + s);
        }
      }

      public void opened(int epoch, List<String> tags, long millis) {
        line("opened " + epoch + " " + millis + " " + (tags.isEmpty() ? "-" : String.join(",", tags)));
      }

      public void step(int index, String description) {
        line("step " + index + " " + oneLine(description));
      }

      public void submitted(String tag, Durability d, long millis) {
        line("submitted " + tag + " " + d + " " + millis);
      }

      public void committed(String tag, long seq) {
        line("committed " + tag + " " + seq);
      }

      public void acked(String tag, long millis) {
        line("acked " + tag + " " + millis);
      }

      public void state(int epoch, long txid, String lastTag, String hash, long millis) {
        line("state " + epoch + " " + txid + " " + (lastTag.isEmpty() ? "-" : lastTag) + " " + hash + " " + millis);
      }

      public void position(int instance, int epoch, long txid, String lineage, long replicaTxid) {
        line("position " + instance + " " + epoch + " " + txid + " " + lineage + " " + replicaTxid);
      }

      public void failure(String check, String message) {
        line("failure " + check + " " + oneLine(message));
      }
    };
  }

  /** Feeds one line to {@code to}; returns false when it is not an event line. */
  static boolean parse(String line, Recorder to) {
    if (!line.startsWith(PREFIX)) {
      return false;
    }
    String[] f = line.substring(PREFIX.length()).split(" ", -1);
    switch (f[0]) {
      case "opened" -> to.opened(Integer.parseInt(f[1]), f[3].equals("-") ? List.of() : Arrays.asList(f[3].split(",")),
          Long.parseLong(f[2]));
      case "step" -> to.step(Integer.parseInt(f[1]), rest(f, 2));
      case "submitted" -> to.submitted(f[1], Durability.valueOf(f[2]), Long.parseLong(f[3]));
      case "committed" -> to.committed(f[1], Long.parseLong(f[2]));
      case "acked" -> to.acked(f[1], Long.parseLong(f[2]));
      case "state" -> to.state(Integer.parseInt(f[1]), Long.parseLong(f[2]), f[3].equals("-") ? "" : f[3], f[4],
          Long.parseLong(f[5]));
      case "position" -> to.position(Integer.parseInt(f[1]), Integer.parseInt(f[2]), Long.parseLong(f[3]), f[4],
          Long.parseLong(f[5]));
      case "failure" -> to.failure(f[1], rest(f, 2));
      default -> {
        return false;
      }
    }
    return true;
  }

  private static String rest(String[] f, int from) {
    return String.join(" ", Arrays.copyOfRange(f, from, f.length));
  }

  static String oneLine(String s) {
    return String.valueOf(s).replace("\r", "").replace("\n", " | ");
  }

  /** Sends every event to several recorders. */
  static Recorder both(Recorder a, Recorder b) {
    return new Recorder() {
      public void opened(int epoch, List<String> tags, long millis) {
        a.opened(epoch, tags, millis);
        b.opened(epoch, tags, millis);
      }

      public void step(int index, String description) {
        a.step(index, description);
        b.step(index, description);
      }

      public void submitted(String tag, Durability d, long millis) {
        a.submitted(tag, d, millis);
        b.submitted(tag, d, millis);
      }

      public void committed(String tag, long seq) {
        a.committed(tag, seq);
        b.committed(tag, seq);
      }

      public void acked(String tag, long millis) {
        a.acked(tag, millis);
        b.acked(tag, millis);
      }

      public void state(int epoch, long txid, String lastTag, String hash, long millis) {
        a.state(epoch, txid, lastTag, hash, millis);
        b.state(epoch, txid, lastTag, hash, millis);
      }

      public void position(int instance, int epoch, long txid, String lineage, long replicaTxid) {
        a.position(instance, epoch, txid, lineage, replicaTxid);
        b.position(instance, epoch, txid, lineage, replicaTxid);
      }

      public void failure(String check, String message) {
        a.failure(check, message);
        b.failure(check, message);
      }
    };
  }
}
