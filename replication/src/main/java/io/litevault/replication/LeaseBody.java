package io.litevault.replication;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The body of one lease generation (docs/FORMAT.md, "Leases"): a JSON object
 * {@code {"owner", "nonce", "home", "expiresAtMillis", "released", "fence"}}, and since issue 15 optionally
 * {@code "lineage", "shippedTxid", "unshipped"} (the holder's {@link LocalEnd}) and {@code "ttlMillis"} (its
 * lease TTL, 0 when absent: a watcher times a generation's life on its own clock), written and read by Jackson.
 *
 * <p>Compatibility both ways, because during a rolling deploy an older and a newer version read each
 * other's leases:
 * <ul>
 *   <li>Older versions wrote the same fields by string concatenation, with the owner's {@code "} and
 *       {@code \} replaced but control characters left raw (not valid JSON); versions before fencing
 *       wrote no {@code home} and no {@code fence}. All of these still parse: raw control characters are
 *       accepted, missing fields take the old defaults ({@code ""} and {@code false}).</li>
 *   <li>Older versions read a body with a regular expression that stops a value at {@code "}, {@code ,}
 *       or <code>}</code>. So the owner written here keeps the old replacements ({@code "} becomes
 *       {@code '}, {@code \} becomes {@code /}); no other field can hold those characters (a UUID, a
 *       home of hex digests and slashes, a number, booleans). An owner with a comma reaches an older
 *       reader truncated: it is only ever shown in messages.</li>
 * </ul>
 * Unknown fields are ignored, so a later version may add some.
 */
record LeaseBody(String owner, String nonce, String home, long expiresAtMillis, boolean released, boolean fence,
    LocalEnd localEnd, long ttlMillis) {
  /**
   * Where the holder's local database stood when it wrote this body: the newest txid of {@code lineage} it had
   * shipped, and how many transactions it had committed locally after it. A successor that finds nothing
   * after {@code shippedTxid} in the bucket knows at least {@code unshipped} were never shipped.
   */
  record LocalEnd(String lineage, long shippedTxid, long unshipped) {
    /** Lineage ids as the layout writes them; anything else in a body is ignored, never shown. */
    private static final Pattern LINEAGE = Pattern.compile("[A-Za-z0-9-]{1,64}");

    static LocalEnd ofValid(String lineage, long shippedTxid, long unshipped) {
      return lineage != null && LINEAGE.matcher(lineage).matches() && shippedTxid >= 0 && unshipped >= 0
          ? new LocalEnd(lineage, shippedTxid, unshipped) : null;
    }
  }

  /** Bodies are tiny; anything larger is not a lease (and is not read whole). */
  static final int MAX_BYTES = 4096;

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonReadFeature.ALLOW_UNESCAPED_CONTROL_CHARS) // owners written raw by older versions
      .enable(JsonReadFeature.ALLOW_BACKSLASH_ESCAPING_ANY_CHARACTER) // the first version kept an owner's '\'
      .build();
  /** How versions before this one read a body; kept for the one body JSON cannot read (see parse). */
  private static final Pattern OLD_FIELD =
      Pattern.compile("\"(owner|nonce|home|expiresAtMillis|released|fence)\":\\s*\"?([^\",}]*)\"?");

  LeaseBody(String owner, String nonce, String home, long expiresAtMillis, boolean released, boolean fence) {
    this(owner, nonce, home, expiresAtMillis, released, fence, null, 0);
  }

  LeaseBody {
    owner = sanitizeOwner(owner);
    home = home == null ? "" : home;
  }

  /** The owner as older readers can parse it (see the class comment). */
  static String sanitizeOwner(String owner) {
    // Through UTF-8 and back first: a lone surrogate becomes '?' here, as it did in every stored body.
    String utf8 = new String(owner.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    return utf8.replace("\"", "'").replace("\\", "/");
  }

  byte[] toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("owner", owner).put("nonce", nonce).put("home", home).put("expiresAtMillis", expiresAtMillis)
        .put("released", released).put("fence", fence);
    if (ttlMillis > 0) {
      o.put("ttlMillis", ttlMillis);
    }
    if (localEnd != null) {
      o.put("lineage", localEnd.lineage()).put("shippedTxid", localEnd.shippedTxid())
          .put("unshipped", localEnd.unshipped());
    }
    try {
      return (JSON.writeValueAsString(o) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree of strings, numbers and booleans failed to serialize", e);
    }
  }

  /**
   * Parses a stored body. Throws {@link ReplicationException} naming {@code key} when it is not a lease:
   * not JSON, no owner or nonce, or a field of the wrong type.
   */
  static LeaseBody parse(String key, byte[] bytes) {
    JsonNode o;
    try {
      o = JSON.readTree(bytes);
    } catch (java.io.IOException e) {
      // Not JSON. The first version wrote an owner's '\' raw, so an owner ending in '\' escaped the closing
      // quote: read such a body the way that version did, or refuse it as not a lease. (Not only
      // JsonProcessingException: bytes Jackson takes for UTF-32 throw CharConversionException.)
      return parseAsOldVersionsDid(key, bytes, e);
    }
    if (o == null || !o.isObject()) {
      throw notALease(key, bytes, "not a JSON object");
    }
    return new LeaseBody(text(o, "owner", null, key, bytes), text(o, "nonce", null, key, bytes),
        text(o, "home", "", key, bytes), number(o, "expiresAtMillis", key, bytes), bool(o, "released", key, bytes),
        bool(o, "fence", key, bytes), localEnd(o), isLong(o.get("ttlMillis")) ? Math.max(0, o.get("ttlMillis").longValue()) : 0);
  }

  /** The optional local end: absent, or not well-formed, it is unknown (a hint, never a reason to refuse). */
  private static LocalEnd localEnd(JsonNode o) {
    JsonNode lineage = o.get("lineage");
    JsonNode shipped = o.get("shippedTxid");
    JsonNode unshipped = o.get("unshipped");
    if (lineage == null || !lineage.isTextual() || !isLong(shipped) || !isLong(unshipped)) {
      return null;
    }
    return LocalEnd.ofValid(lineage.textValue(), shipped.longValue(), unshipped.longValue());
  }

  private static boolean isLong(JsonNode v) {
    return v != null && v.isIntegralNumber() && v.canConvertToLong();
  }


  private static String text(JsonNode o, String field, String absent, String key, byte[] bytes) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      if (absent == null) {
        throw notALease(key, bytes, "no \"" + field + "\"");
      }
      return absent;
    }
    if (!v.isTextual()) {
      throw notALease(key, bytes, "\"" + field + "\" is not a string");
    }
    return v.textValue();
  }

  private static long number(JsonNode o, String field, String key, byte[] bytes) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return 0; // as older readers did: an expiry of 0 has passed
    }
    if (!v.canConvertToLong() || !v.isIntegralNumber()) {
      throw notALease(key, bytes, "\"" + field + "\" is not an integer");
    }
    return v.longValue();
  }

  private static boolean bool(JsonNode o, String field, String key, byte[] bytes) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw notALease(key, bytes, "\"" + field + "\" is not true or false");
    }
    return v.booleanValue();
  }

  private static LeaseBody parseAsOldVersionsDid(String key, byte[] bytes, java.io.IOException notJson) {
    String owner = null;
    String nonce = null;
    String home = "";
    long expires = 0;
    boolean released = false;
    boolean fence = false;
    Matcher m = OLD_FIELD.matcher(new String(bytes, StandardCharsets.UTF_8));
    try {
      while (m.find()) {
        String v = m.group(2);
        switch (m.group(1)) {
          case "owner" -> owner = v;
          case "nonce" -> nonce = v;
          case "home" -> home = v;
          case "released" -> released = Boolean.parseBoolean(v.trim());
          case "fence" -> fence = Boolean.parseBoolean(v.trim());
          default -> expires = Long.parseLong(v.trim());
        }
      }
    } catch (NumberFormatException e) {
      nonce = null;
    }
    if (owner == null || nonce == null) {
      throw notALease(key, bytes, "not JSON (" + firstLine(notJson) + ")");
    }
    return new LeaseBody(owner, nonce, home, expires, released, fence);
  }

  private static String firstLine(java.io.IOException e) {
    String m = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
  }

  private static ReplicationException notALease(String key, byte[] bytes, String why) {
    String text = new String(bytes, StandardCharsets.UTF_8).strip();
    if (text.length() > 200) {
      text = text.substring(0, 200) + "…";
    }
    return new ReplicationException("the lease object '" + key + "' is not a Litevault lease (" + why + "): " + text
        + "; delete it if nothing else uses this prefix");
  }
}
