package io.litevault.testing;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** With {@code @ExtendWith}, the server is injected as a parameter and shared by the class. */
@ExtendWith(EmbeddedS3Extension.class)
class EmbeddedS3ExtensionTest {
  static EmbeddedS3 first;

  @BeforeAll
  static void remember(EmbeddedS3 s3) {
    first = s3;
  }

  @Test
  void oneServerPerClass(EmbeddedS3 s3) {
    assertSame(first, s3);
    assertTrue(s3.port() > 0);
    assertTrue(s3.toString().contains("in memory"));
  }
}
