package io.litevault.bucket.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class S3OptionsTest {
  @Test
  void badValuesAreRefusedAtOnceNamingTheValue() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> S3Options.builder("Bad_Bucket"))
        .getMessage().contains("Bad_Bucket"));
    S3Options.Builder b = S3Options.builder("ok-bucket");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> b.partSize(1024)).getMessage().contains("1024"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> b.endpoint("ftp://x")).getMessage().contains("ftp://x"));
    assertThrows(IllegalArgumentException.class, () -> b.endpoint("http://user:pw@host:9000"));
    assertThrows(IllegalArgumentException.class, () -> b.endpoint("http://host:9000/path"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> b.listPageSize(1001)).getMessage().contains("1001"));
    assertThrows(IllegalArgumentException.class, () -> b.socketTimeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> b.region("EU WEST"));
    assertThrows(IllegalArgumentException.class, () -> b.credentials("id", " "));
  }

  @Test
  void defaultsAndToStringWithoutTheSecret() {
    S3Options o = S3Options.builder("ok-bucket").endpoint("http://127.0.0.1:9000/").credentials("AKID", "s3cr3t-value")
        .build();
    assertEquals(S3Options.DEFAULT_PART_SIZE, o.partSize());
    assertEquals("http://127.0.0.1:9000", o.endpoint().orElseThrow().toString());
    assertTrue(o.pathStyle());
    assertTrue(o.toString().contains("AKID"));
    assertFalse(o.toString().contains("s3cr3t-value"));
    assertFalse(o.credentials().orElseThrow().toString().contains("s3cr3t-value"));
    assertEquals(o.toString(), o.toBuilder().build().toString());
  }
}
