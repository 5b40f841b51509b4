package io.litevault.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.litevault.bucket.ObjectNotFoundException;
import io.litevault.bucket.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The run manifest {@code <tier>/_litevault/backup-run.json}, written last in every run: what the last run
 * did ({@link TierRunReport}) plus when the last <em>successful</em> run started and finished and the
 * point in time the tier's content represents. A restarted process reads it to find the runs it missed;
 * the tier below reads its upstream's to learn the age of what it copies.
 */
record RunManifest(TierRunReport last, Instant lastSuccessStarted, Instant lastSuccessFinished) {
  static final String FORMAT = "litevault-backup-run";
  static final String PATH = "_litevault/backup-run.json";

  /** When the tier's content was the upstream's state, or null if it never completed a run. */
  Instant stateAsOf() {
    return last.stateAsOf();
  }

  static String key(String tierPrefix) {
    return tierPrefix + PATH;
  }

  static Optional<RunManifest> read(ObjectStore store, String tierPrefix) {
    String text;
    try (InputStream in = store.get(key(tierPrefix))) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (ObjectNotFoundException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + key(tierPrefix) + " failed", e);
    }
    return Optional.of(parse(text, key(tierPrefix)));
  }

  void write(ObjectStore store, String tierPrefix) {
    store.put(key(tierPrefix), toJson().getBytes(StandardCharsets.UTF_8));
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  String toJson() {
    ObjectNode m = JSON.createObjectNode();
    m.put("format", FORMAT);
    m.put("version", 1L);
    m.put("tier", last.tier());
    m.put("runId", last.runId());
    m.put("status", last.status().name());
    m.put("started", last.started().toString());
    m.put("finished", last.finished().toString());
    m.put("stateAsOf", str(last.stateAsOf()));
    m.put("lastSuccessStarted", str(lastSuccessStarted));
    m.put("lastSuccessFinished", str(lastSuccessFinished));
    m.put("copied", last.copied());
    m.put("skipped", last.skipped());
    m.put("deleted", last.deleted());
    m.put("bytesCopied", last.bytesCopied());
    m.put("verification", last.verification().outcome().name());
    m.put("verifiedDatabases", (long) last.verification().databasesChecked());
    m.put("verificationDetail", last.verification().detail());
    ArrayNode errors = m.putArray("errors");
    last.errors().forEach(errors::add);
    return m.toString();
  }

  static RunManifest parse(String text, String where) {
    try {
      JsonNode m = JSON.readTree(text);
      if (m == null || !FORMAT.equals(m.path("format").asText(null))) {
        throw new IllegalArgumentException("not a " + FORMAT + " object");
      }
      VerificationResult v = new VerificationResult(VerificationResult.Outcome.valueOf(text(m, "verification")),
          (int) number(m, "verifiedDatabases"), m.path("verificationDetail").asText(null));
      List<String> errors = new ArrayList<>();
      m.path("errors").forEach(e -> errors.add(e.asText()));
      TierRunReport r = new TierRunReport(text(m, "tier"), text(m, "runId"), Instant.parse(text(m, "started")),
          Instant.parse(text(m, "finished")), RunStatus.valueOf(text(m, "status")), number(m, "copied"),
          number(m, "skipped"), number(m, "deleted"), number(m, "bytesCopied"), errors, v, instant(m, "stateAsOf"));
      return new RunManifest(r, instant(m, "lastSuccessStarted"), instant(m, "lastSuccessFinished"));
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("unreadable run manifest " + where + ": " + e.getMessage(), e);
    }
  }

  private static String text(JsonNode m, String field) {
    JsonNode n = m.get(field);
    if (n == null || !n.isTextual()) {
      throw new IllegalArgumentException("field '" + field + "' is missing or not a string");
    }
    return n.asText();
  }

  private static long number(JsonNode m, String field) {
    JsonNode n = m.get(field);
    if (n == null || !n.canConvertToLong()) {
      throw new IllegalArgumentException("field '" + field + "' is missing or not a whole number");
    }
    return n.asLong();
  }

  private static Instant instant(JsonNode m, String field) {
    JsonNode n = m.get(field);
    return n == null || n.isNull() ? null : Instant.parse(n.asText());
  }

  private static String str(Instant i) {
    return i == null ? null : i.toString();
  }
}
