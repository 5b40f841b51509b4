package io.litevault.bucket.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import org.junit.jupiter.api.Test;

class PartReaderTest {
  private static final int PART = 5 * 1024 * 1024;

  @Test
  void aBodyOfExactlyOnePartOfUnknownLengthIsOnePart() {
    PartReader r = new PartReader(new ByteArrayInputStream(new byte[PART]), -1, PART);
    r.next();
    assertEquals(PART, r.lastLength());
    assertTrue(r.finished());
  }

  @Test
  void oneByteMoreMakesASecondPartAndNoByteIsLost() {
    byte[] body = new byte[PART + 1];
    body[PART] = 42;
    PartReader r = new PartReader(new ByteArrayInputStream(body), -1, PART);
    r.next();
    assertFalse(r.finished());
    byte[] second = r.next();
    assertEquals(1, r.lastLength());
    assertEquals(42, second[0]);
    assertTrue(r.finished());
  }

  @Test
  void aSmallBodyGetsASmallBuffer() {
    PartReader r = new PartReader(new ByteArrayInputStream(new byte[100]), 100, PART);
    assertEquals(100, r.next().length);
    assertTrue(r.finished());
  }

  @Test
  void aShortBodyIsRefused() {
    PartReader r = new PartReader(new ByteArrayInputStream(new byte[10]), 20, PART);
    assertTrue(assertThrows(IllegalArgumentException.class, r::next).getMessage().contains("20 declared"));
  }
}
