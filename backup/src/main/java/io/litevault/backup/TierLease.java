package io.litevault.backup;

import io.litevault.bucket.ObjectNotFoundException;
import io.litevault.bucket.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease one tier run holds on its tier ({@code <tier>/_litevault/lease}), so that two runs never work on
 * one tier at once: the second would delete what the first copies. Taken with a create-only put whose body
 * is unique to this run (owner, random nonce, expiry), renewed every third of {@link #TTL} while the run
 * goes on, checked again before the run deletes anything, and deleted at the end. A lease left by a killed
 * run is taken over once expired (delete, then race for the create-only put again).
 */
final class TierLease implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TierLease.class);
  /**
   * Five minutes: a run killed with kill -9 holds up the next one at most this long (tiers run hourly at
   * the most), while a renewal every 100 s survives a few failed requests in a row.
   */
  static final Duration TTL = Duration.ofMinutes(5);

  private final ObjectStore store;
  private final String key;
  private final Clock clock;
  private final String owner;
  private final String nonce = UUID.randomUUID().toString();
  private final ScheduledExecutorService renewer;
  private volatile boolean lost;

  private TierLease(ObjectStore store, String key, Clock clock) {
    this.store = store;
    this.key = key;
    this.clock = clock;
    this.owner = host() + " pid " + ProcessHandle.current().pid();
    this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "litevault-backup-lease");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Takes the lease at {@code key}.
   *
   * @throws BackupRefusedException another run holds it and it has not expired
   */
  static TierLease acquire(ObjectStore store, String key, Clock clock, String tier) {
    TierLease lease = new TierLease(store, key, clock);
    for (int attempt = 0; ; attempt++) {
      if (store.putIfAbsent(key, lease.body())) {
        long every = TTL.toMillis() / 3;
        lease.renewer.scheduleWithFixedDelay(lease::renew, every, every, TimeUnit.MILLISECONDS);
        return lease;
      }
      Optional<String[]> held = read(store, key);
      if (held.isEmpty()) {
        continue; // released meanwhile: race again
      }
      Instant expires = expiry(held.get());
      if (attempt == 0 && expires != null && !clock.instant().isBefore(expires)) {
        LOG.warn("tier {}: taking over the expired lease of {} (expired {})", tier, field(held.get(), "owner"), expires);
        store.delete(key);
        continue;
      }
      lease.renewer.shutdownNow();
      throw new BackupRefusedException(BackupRefusedException.Reason.TIER_LEASED, "another run is working on tier '"
          + tier + "': its lease " + key + " is held by " + field(held.get(), "owner") + " and "
          + (expires == null ? "cannot be read (if no run is going on, delete it)" : "expires " + expires
          + (expires.isAfter(clock.instant()) ? "" : " (taken over by another run just now)"))
          + ". Nothing was copied or deleted.", null);
    }
  }

  /** Throws unless this run still holds the lease: called before deleting anything. */
  void check() {
    Optional<String[]> now = read(store, key);
    if (lost || now.isEmpty() || !nonce.equals(field(now.get(), "nonce"))) {
      lost = true;
      throw new IllegalStateException("this run lost its lease " + key + " (now "
          + now.map(l -> "held by " + field(l, "owner")).orElse("gone") + "): it deletes nothing");
    }
  }

  private void renew() {
    try {
      check();
      store.put(key, body());
    } catch (RuntimeException e) {
      LOG.warn("renewing the lease {} failed: {}", key, e.toString());
    }
  }

  /** Stops renewing and deletes the lease if it is still this run's; an error only logs (it expires). */
  @Override
  public void close() {
    renewer.shutdownNow();
    try {
      Optional<String[]> now = read(store, key);
      if (now.isPresent() && nonce.equals(field(now.get(), "nonce"))) {
        store.delete(key);
      }
    } catch (RuntimeException e) {
      LOG.warn("releasing the lease {} failed (it expires by itself within {}): {}", key, TTL, e.toString());
    }
  }

  private byte[] body() {
    return ("litevault-backup lease\nowner=" + owner + "\nnonce=" + nonce + "\nexpires=" + clock.instant().plus(TTL)
        + "\n").getBytes(StandardCharsets.UTF_8);
  }

  private static Optional<String[]> read(ObjectStore store, String key) {
    try (InputStream in = store.get(key)) {
      return Optional.of(new String(in.readNBytes(4096), StandardCharsets.UTF_8).split("\n"));
    } catch (ObjectNotFoundException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String field(String[] lines, String name) {
    return Arrays.stream(lines).filter(l -> l.startsWith(name + "=")).map(l -> l.substring(name.length() + 1))
        .findFirst().orElse("an unknown owner");
  }

  private static Instant expiry(String[] lines) {
    try {
      return Instant.parse(field(lines, "expires"));
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static String host() {
    String name = ManagementFactory.getRuntimeMXBean().getName(); // pid@host
    int at = name.indexOf('@');
    return at < 0 ? "unknown-host" : name.substring(at + 1);
  }
}
