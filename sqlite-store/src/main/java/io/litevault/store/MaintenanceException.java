package io.litevault.store;

/** A maintenance step failed. Writes were resumed; the report says what ran and what failed. */
public final class MaintenanceException extends StoreException {
  private static final long serialVersionUID = 1L;
  private final transient MaintenanceReport report;

  public MaintenanceException(String database, String message, Throwable cause, MaintenanceReport report) {
    super(database, message, cause);
    this.report = report;
  }

  public MaintenanceReport report() {
    return report;
  }
}
