package io.litevault.store;

import java.time.Duration;
import java.util.List;

/**
 * What a maintenance window did.
 *
 * @param steps every step run, in order, with its outcome
 * @param paused how long writes were paused
 * @param heldWrites the most writes waiting in the queues during the window
 */
public record MaintenanceReport(List<StepResult> steps, Duration paused, int heldWrites) {
  public MaintenanceReport {
    steps = List.copyOf(steps);
  }

  /** One step on one database. */
  public record StepResult(String database, String step, Duration took, String detail, Throwable failure) {
    public boolean succeeded() {
      return failure == null;
    }
  }

  public boolean succeeded() {
    return steps.stream().allMatch(StepResult::succeeded);
  }
}
