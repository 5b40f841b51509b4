package io.litevault.replication;

import io.litevault.bucket.fs.Fsync;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a replicator runs, as written into its lease: the running kernel (Linux's boot id), a random id
 * kept in the replicator's work directory, and a digest of the database's absolute path. Two processes
 * with the same home run on one kernel against the same database files; the store's lock file lets only
 * one of them have those files open, so a lease held by the same home belongs to a process that is gone
 * (a {@code kill -9}, a crash) and can be taken over at once. A copy of the directory on another machine
 * has another boot id; another directory has another random id. Empty when the boot id is unknown (not
 * Linux): then no lease is ever taken over before it expires.
 */
final class Home {
  private static final Logger log = LoggerFactory.getLogger(Home.class);
  private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");
  private static final String FILE = "home-id";

  private Home() {}

  static String of(Path database, Path workDir) {
    try {
      if (!Files.isReadable(BOOT_ID)) {
        return "";
      }
      String boot = Files.readString(BOOT_ID).strip();
      return boot + "/" + homeId(workDir) + "/" + digest(database.toAbsolutePath().normalize().toString());
    } catch (IOException | RuntimeException e) {
      log.warn("cannot tell this process's home ({}): a lease left by a crashed process here is taken over only "
          + "after it expires", e.toString());
      return "";
    }
  }

  private static String homeId(Path workDir) throws IOException {
    Path file = workDir.resolve(FILE);
    if (Files.exists(file)) {
      String id = Files.readString(file).strip();
      if (id.matches("[0-9a-f-]{36}")) {
        return id;
      }
    }
    Fsync.createDirectories(workDir);
    String id = UUID.randomUUID().toString();
    Path tmp = workDir.resolve(FILE + ".tmp");
    Files.writeString(tmp, id + "\n", StandardCharsets.UTF_8);
    try (var ch = java.nio.channels.FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Fsync.directory(workDir);
    return id;
  }

  private static String digest(String path) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(path.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
