package io.litevault.replication;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/** The batch window's rule alone, on a test clock: when an upload is due. */
class UploadUrgencyTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final AtomicLong shipped = new AtomicLong(0);
  private final UploadUrgency urgency =
      new UploadUrgency(Duration.ofMillis(20), shipped::get, new LongAdder(), now::get);

  private void advanceMicros(long micros) {
    now.addAndGet(TimeUnit.MICROSECONDS.toNanos(micros));
  }

  @Test
  void aLoneReplicatedWriteIsDueAtOnce() {
    urgency.replicatedWrite(1);
    assertTrue(urgency.due(false), "one caller waiting for its ack never pays the window");
  }

  /**
   * Replicator.write asks only if its commit is not yet shipped, but the shipper may ship it between that
   * check and the ask: the ask then comes after its upload. It must not make the LOCAL commits that follow
   * due before minUploadInterval (CI saw ReplicationOutageTest ship LOCAL writes at once this way).
   */
  @Test
  void anAskForACommitAlreadyShippedMakesNothingDue() {
    shipped.set(5);
    urgency.replicatedWrite(5);
    assertFalse(urgency.due(false), "every write that asked is in the bucket");
    assertFalse(urgency.raised(), "the stale ask is dropped (a raised ask shortens the shipper's park)");
    urgency.replicatedWrite(6);
    assertTrue(urgency.due(false), "a new ask still counts");
    urgency.flush();
    shipped.set(6);
    assertTrue(urgency.due(false), "a flush is due with no write waiting");
  }

  /** Closed-loop callers: their commits come in a burst, then nobody is left to write. */
  @Test
  void aBurstThatWentQuietIsDueBeforeTheWindowEnds() {
    urgency.replicatedWrite(1);
    advanceMicros(50);
    urgency.replicatedWrite(2);
    advanceMicros(50);
    urgency.replicatedWrite(3);
    assertFalse(urgency.due(false), "two commits or more wait for the window");
    advanceMicros(900);
    assertFalse(urgency.due(false), "quiet for less than the 1 ms floor");
    advanceMicros(200);
    assertTrue(urgency.due(false), "quiet for 8 mean spacings and the floor: nothing more will come");
  }

  /** Independent writers at 1,000 a second: commits about 1 ms apart keep the window open. */
  @Test
  void writersKeepingTheirPaceAreHeldForTheWholeWindow() {
    urgency.replicatedWrite(1);
    urgency.replicatedWrite(2);
    urgency.uploadBegins(false); // an upload shared by two: writers run concurrently
    shipped.set(2);
    urgency.replicatedWrite(3);
    for (int i = 4; i <= 22; i++) {
      advanceMicros(999);
      assertFalse(urgency.due(false), "just before commit " + i);
      advanceMicros(1);
      urgency.replicatedWrite(i);
      assertFalse(urgency.due(false), "commit " + i);
    }
    advanceMicros(1_000);
    assertTrue(urgency.due(false), "the window ran out");
  }

  @Test
  void aGapOfEightSpacingsEndsTheWindowEvenAboveTheFloor() {
    urgency.replicatedWrite(1);
    advanceMicros(1_000);
    urgency.replicatedWrite(2);
    advanceMicros(7_900);
    assertFalse(urgency.due(false), "7.9 spacings");
    advanceMicros(200);
    assertTrue(urgency.due(false), "8 spacings");
  }

  @Test
  void shippedCommitsNoLongerCountTowardsThePace() {
    urgency.replicatedWrite(1);
    advanceMicros(10);
    urgency.replicatedWrite(2);
    urgency.uploadBegins(false);
    shipped.set(2);
    advanceMicros(5_000);
    urgency.replicatedWrite(3); // the last upload was shared: the window applies to a lone commit too
    assertFalse(urgency.due(false), "a lone commit shows no pace: it waits for the window");
    advanceMicros(2_000);
    urgency.replicatedWrite(4);
    advanceMicros(6_000);
    assertFalse(urgency.due(false), "2 ms apart: quiet after 16 ms (5.3 ms if the shipped two still counted)");
    advanceMicros(10_000);
    assertTrue(urgency.due(false));
  }
}
