package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The lease body as JSON, and compatibility with every earlier version both ways: bodies they wrote still
 * parse here (golden texts, byte for byte what they wrote), and bodies written here parse in their reader
 * (its regular expression, copied below). Properties replay with {@code -DQT_SEED=N}.
 */
class LeaseBodyTest {
  private static final String KEY = "p/leases/0000000000000001";

  /** What versions before Jackson wrote (2f2c1d7 … b60bf62), for these values. */
  private static String fencedVersionBody(String owner, String nonce, String home, long until, boolean released,
      boolean fence) {
    return "{\"owner\": \"" + owner + "\", \"nonce\": \"" + nonce + "\", \"home\": \"" + home + "\", \"expiresAtMillis\": "
        + until + ", \"released\": " + released + ", \"fence\": " + fence + "}\n";
  }

  @Test
  void bodiesOfTheFencedVersionsParse() {
    String text = fencedVersionBody("app-1 (pid 42)", "5d0c…", "boot/abc/0123456789abcdef", 1_764_000_000_000L, false, true);
    LeaseBody b = LeaseBody.parse(KEY, text.getBytes(StandardCharsets.UTF_8));
    assertEquals(new LeaseBody("app-1 (pid 42)", "5d0c…", "boot/abc/0123456789abcdef", 1_764_000_000_000L, false, true), b);
  }

  @Test
  void bodiesOfTheVersionBeforeFencingParseWithItsDefaults() {
    // 2f2c1d7 without "fence"; ffd4887 (the legacy <prefix>/lease) without "home" and "released"
    LeaseBody noFence = LeaseBody.parse(KEY, ("{\"owner\": \"a\", \"nonce\": \"n\", \"home\": \"h\", \"expiresAtMillis\": 7, "
        + "\"released\": true}\n").getBytes(StandardCharsets.UTF_8));
    assertEquals(new LeaseBody("a", "n", "h", 7, true, false), noFence);
    LeaseBody legacy = LeaseBody.parse(KEY, "{\"owner\": \"v0\", \"nonce\": \"n\", \"expiresAtMillis\": 9}\n"
        .getBytes(StandardCharsets.UTF_8));
    assertEquals(new LeaseBody("v0", "n", "", 9, false, false), legacy);
  }

  @Test
  void ownersOlderVersionsWroteRawStillParse() {
    // Control characters were written raw (not JSON); the first version kept a '\' raw, even a last one
    // that escapes the closing quote.
    for (String owner : new String[] {"host\tname", "line\nbreak", "DOMAIN\\host", "ends-in\\", "bad\\uZZZZ"}) {
      String text = "{\"owner\": \"" + owner + "\", \"nonce\": \"n-1\", \"expiresAtMillis\": 1234}\n";
      LeaseBody b = LeaseBody.parse(KEY, text.getBytes(StandardCharsets.UTF_8));
      assertEquals("n-1", b.nonce(), owner);
      assertEquals(1234, b.expiresAtMillis(), owner);
    }
  }

  @Test
  void writtenBodiesRoundTripAndOlderReadersGetTheSameFields() {
    qt().withExamples(2_000).forAll(strings().allPossible().ofLengthBetween(0, 40), longs().between(0, Long.MAX_VALUE),
        booleans().all(), booleans().all()).checkAssert((owner, until, released, fence) -> {
          LeaseBody written = new LeaseBody(owner, UUID.randomUUID().toString(), "boot-id/home-id/0123456789abcdef",
              until, released, fence);
          byte[] json = written.toJson();
          assertEquals(written, LeaseBody.parse(KEY, json));
          OldReader old = OldReader.read(new String(json, StandardCharsets.UTF_8));
          assertEquals(written.nonce(), old.nonce);
          assertEquals(written.home(), old.home);
          assertEquals(written.expiresAtMillis(), old.expires);
          assertEquals(written.released(), old.released);
          assertEquals(written.fence(), old.fence);
          assertTrue(old.owner != null, "an older reader refused a body with no owner"); // its text is display only
        });
  }

  @Test
  void anOwnerCannotInjectFieldsForAnyReader() {
    LeaseBody written = new LeaseBody("x\", \"nonce\": \"forged\", \"released\": true, \"o\": \"", "real", "h", 5, false, false);
    byte[] json = written.toJson();
    assertEquals("real", LeaseBody.parse(KEY, json).nonce());
    assertEquals(false, LeaseBody.parse(KEY, json).released());
    OldReader old = OldReader.read(new String(json, StandardCharsets.UTF_8));
    assertEquals("real", old.nonce);
    assertEquals(false, old.released);
  }

  @Test
  void foreignBodiesAreRefusedNamingTheKey() {
    for (String text : new String[] {"", "[1,2]", "hello", "{\"owner\": \"a\"}", "{\"owner\": 1, \"nonce\": \"n\"}",
        "{\"owner\": \"a\", \"nonce\": \"n\", \"expiresAtMillis\": \"soon\"}",
        "{\"owner\": \"a\", \"nonce\": \"n\", \"released\": \"yes\"}"}) {
      ReplicationException e = assertThrows(ReplicationException.class,
          () -> LeaseBody.parse(KEY, text.getBytes(StandardCharsets.UTF_8)), text);
      assertTrue(e.getMessage().contains(KEY) && e.getMessage().contains("not a Litevault lease"), e.getMessage());
    }
  }

  /** The reader of every version before this one (Lease.parse up to b60bf62), verbatim in its logic. */
  private static final class OldReader {
    static final Pattern FIELD =
        Pattern.compile("\"(owner|nonce|home|expiresAtMillis|released|fence)\":\\s*\"?([^\",}]*)\"?");
    String owner;
    String nonce;
    String home = "";
    long expires;
    boolean released;
    boolean fence;

    static OldReader read(String text) {
      OldReader r = new OldReader();
      Matcher m = FIELD.matcher(text);
      while (m.find()) {
        switch (m.group(1)) {
          case "owner" -> r.owner = m.group(2);
          case "nonce" -> r.nonce = m.group(2);
          case "home" -> r.home = m.group(2);
          case "released" -> r.released = Boolean.parseBoolean(m.group(2).trim());
          case "fence" -> r.fence = Boolean.parseBoolean(m.group(2).trim());
          default -> r.expires = Long.parseLong(m.group(2).trim());
        }
      }
      return r;
    }
  }
}
