package io.litevault.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A real child JVM running a main class on this JVM's class path, for crash tests: its stdout lines
 * are handed to a consumer as they come, and {@link #kill9()} sends SIGKILL (no shutdown hooks, no
 * flushing: what a power cut looks like to the process).
 */
public final class ChildJvm implements AutoCloseable {
  private final Process process;
  private final Thread pump;
  private final StringBuilder stderr = new StringBuilder();

  private ChildJvm(Process process, Consumer<String> stdoutLines) {
    this.process = process;
    this.pump = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          stdoutLines.accept(line);
        }
      } catch (IOException ignored) {
        // the child died: that is the point
      }
    }, "child-jvm-stdout");
    pump.setDaemon(true);
    pump.start();
    Thread err = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          synchronized (stderr) {
            if (stderr.length() < 20_000) {
              stderr.append(line).append('\n');
            }
          }
        }
      } catch (IOException ignored) {
        // the child died
      }
    }, "child-jvm-stderr");
    err.setDaemon(true);
    err.start();
  }

  /** Starts {@code mainClass} with {@code args} on the current class path. */
  public static ChildJvm start(Class<?> mainClass, Consumer<String> stdoutLines, String... args) throws IOException {
    return start(java.util.Map.of(), mainClass, stdoutLines, args);
  }

  /**
   * Like {@link #start(Class, Consumer, String...)} with {@code env} set in the child's environment on top
   * of this one's (a null value removes the variable).
   */
  public static ChildJvm start(java.util.Map<String, String> env, Class<?> mainClass, Consumer<String> stdoutLines,
      String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass.getName());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    env.forEach((k, v) -> {
      if (v == null) {
        pb.environment().remove(k);
      } else {
        pb.environment().put(k, v);
      }
    });
    return new ChildJvm(pb.start(), stdoutLines);
  }

  public long pid() {
    return process.pid();
  }

  /** SIGKILL via {@code kill -9}, then waits for the process to be gone. */
  public void kill9() throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-9", Long.toString(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      process.destroyForcibly();
    }
    process.waitFor(30, TimeUnit.SECONDS);
    pump.join(5_000);
  }

  /**
   * Whether this process ignores SIGINT ({@code SigIgn} in {@code /proc/self/status}): a child inherits that,
   * and a JVM that starts with SIGINT ignored installs no handler, so {@link #interrupt} cannot reach it. A
   * shell ignores SIGINT for the commands it starts in the background ({@code cmd &} without job control).
   */
  public static boolean sigintIgnored() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (line.startsWith("SigIgn:")) {
          return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << (2 - 1))) != 0; // SIGINT is 2
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: assume signals are delivered
    }
    return false;
  }

  /** SIGINT, as Ctrl-C in a terminal sends it (the JVM runs its shutdown hooks and exits). */
  public void interrupt() throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -INT " + process.pid() + " failed");
    }
  }

  /**
   * SIGTERM, as {@code docker stop} and systemd send it first (the JVM runs its shutdown hooks and exits;
   * Docker sends SIGKILL after its grace period, 10 s by default).
   */
  public void terminate() throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -TERM " + process.pid() + " failed");
    }
  }

  /** Waits for a normal exit and returns the exit code. */
  public int waitFor(long seconds) throws InterruptedException {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("child JVM did not exit within " + seconds + " s; stderr:\n" + stderr());
    }
    pump.join(5_000);
    return process.exitValue();
  }

  public boolean alive() {
    return process.isAlive();
  }

  public String stderr() {
    synchronized (stderr) {
      return stderr.toString();
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
