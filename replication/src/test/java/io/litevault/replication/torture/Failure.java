package io.litevault.replication.torture;

/**
 * One failed check of one schedule.
 *
 * @param check what was checked (LATEST, PITR_TXID, PITR_TIME, STALL, ...)
 * @param step the 1-based step running or last run when it failed (0: before the first step or in the final oracle)
 * @param message what went wrong, with the evidence
 */
record Failure(String check, int step, String message) {
  /** The failure with numbers, hex, tags and lineage ids blanked: equal for the same bug across seeds. */
  String signature() {
    String m = message
        .replaceAll("\\d{8}T\\d{9}Z-[0-9a-f]{8}", "LINEAGE")
        .replaceAll("s\\d+o\\d+w\\d+", "TAG")
        .replaceAll("[0-9a-f]{8,}", "#")
        .replaceAll("\\d+", "#")
        .replaceAll("(#[ ,./-]*)+#", "#");
    int cut = m.indexOf(" | ");
    if (cut > 0) {
      m = m.substring(0, cut);
    }
    if (m.length() > 150) {
      m = m.substring(0, 150) + "…";
    }
    return check + ": " + m;
  }

  @Override
  public String toString() {
    return "[" + check + (step > 0 ? " at step " + step : "") + "] " + message;
  }
}
