package io.litevault.replication;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease of one replica prefix: an object written with create-only put ({@code If-None-Match: *})
 * naming its owner, a random nonce and an expiry. It is renewed (overwritten) only together with
 * uploads, so an idle database makes no requests; a process that finds someone else's unexpired lease
 * refuses to replicate, and a holder that finds its lease taken over stops before its next upload.
 */
final class Lease {
  private static final Logger log = LoggerFactory.getLogger(Lease.class);
  private static final Pattern FIELD = Pattern.compile("\"(owner|nonce|expiresAtMillis)\":\\s*\"?([^\",}]*)\"?");

  private final ObjectStore store;
  private final String key;
  private final String owner;
  private final Duration ttl;
  private final Clock clock;
  private final String nonce = UUID.randomUUID().toString();
  private long expiresAt;

  Lease(ObjectStore store, String key, String owner, Duration ttl, Clock clock) {
    this.store = store;
    this.key = key;
    this.owner = owner;
    this.ttl = ttl;
    this.clock = clock;
  }

  private record Holder(String owner, String nonce, long expiresAtMillis) {}

  /** Takes the lease, or throws {@link LeaseException} naming the holder. */
  void acquire() {
    for (int attempt = 0; attempt < 3; attempt++) {
      long until = clock.millis() + ttl.toMillis();
      if (store.putIfAbsent(key, body(until))) {
        expiresAt = until;
        return;
      }
      Holder h = read();
      if (h == null) {
        continue; // released between our put and our read
      }
      if (h.nonce.equals(nonce)) {
        expiresAt = h.expiresAtMillis;
        return;
      }
      if (h.expiresAtMillis > clock.millis()) {
        throw new LeaseException("replica " + store.describe() + " key '" + key + "' is leased by '" + h.owner
            + "' until " + java.time.Instant.ofEpochMilli(h.expiresAtMillis) + ": another process replicates this "
            + "database to the same prefix. Stop it, use another prefix, or wait for the lease to expire");
      }
      log.info("lease {} held by '{}' expired at {}; taking it over", key, h.owner,
          java.time.Instant.ofEpochMilli(h.expiresAtMillis));
      store.delete(key); // expired: remove it and race for it with If-None-Match like everyone else
    }
    throw new LeaseException("could not take the lease '" + key + "' of " + store.describe()
        + " after 3 attempts: another process keeps taking it");
  }

  /** Before an upload: renews when half the TTL is gone, after checking nobody took it over. */
  void renewIfDue() {
    long now = clock.millis();
    if (expiresAt - now > ttl.toMillis() / 2) {
      return;
    }
    Holder h = read();
    if (h != null && !h.nonce.equals(nonce) && h.expiresAtMillis > now) {
      throw new LeaseException("lost the lease '" + key + "' of " + store.describe() + " to '" + h.owner
          + "' (this process was idle or paused past its expiry); replication stopped to avoid split brain. "
          + "Restart this process once the other one is stopped");
    }
    long until = now + ttl.toMillis();
    store.put(key, body(until));
    expiresAt = until;
  }

  /** Deletes the lease if it is still ours. */
  void release() {
    try {
      Holder h = read();
      if (h != null && h.nonce.equals(nonce)) {
        store.delete(key);
      }
    } catch (RuntimeException e) {
      log.warn("could not release the lease {}: {}", key, e.toString());
    }
  }

  private byte[] body(long until) {
    return ("{\"owner\": \"" + owner.replace("\"", "'") + "\", \"nonce\": \"" + nonce + "\", \"expiresAtMillis\": "
        + until + "}\n").getBytes(StandardCharsets.UTF_8);
  }

  private Holder read() {
    String text;
    try (InputStream in = store.get(key)) {
      text = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
    } catch (ObjectNotFoundException e) {
      return null;
    } catch (IOException e) {
      throw new ReplicationException("could not read the lease '" + key + "': " + e, e);
    }
    String o = null;
    String n = null;
    long exp = 0;
    Matcher m = FIELD.matcher(text);
    while (m.find()) {
      switch (m.group(1)) {
        case "owner" -> o = m.group(2);
        case "nonce" -> n = m.group(2);
        default -> exp = Long.parseLong(m.group(2).trim());
      }
    }
    if (o == null || n == null) {
      throw new ReplicationException("the lease object '" + key + "' is not a Litevault lease: " + text.strip()
          + "; delete it if nothing else uses this prefix");
    }
    return new Holder(o, n, exp);
  }
}
