package io.litevault.bucket.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Removing a directory the store found empty must never remove what took its name meanwhile: another store
 * may have removed it and linked an acknowledged object there (CI caught it: FsRaceReviewTest lost a
 * create-only put's object to a tree removal whose final Files.delete unlinked the file).
 */
class DirectoriesTest {
  @TempDir
  Path root;

  @Test
  void anObjectThatTookTheDirectorysNameIsNeverRemoved() throws Exception {
    Path b = root.resolve("a/b");
    Files.createDirectories(b.getParent());
    Files.write(b, new byte[] {1, 2, 3}); // the directory is gone and an object is there now
    assertThrows(IOException.class, () -> Directories.removeDirectory(b));
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(b));
  }

  @Test
  void anEmptyDirectoryIsRemovedAndAFullOneIsNot() throws Exception {
    Path d = Files.createDirectories(root.resolve("x/y"));
    Files.write(d.resolve("key"), new byte[1]);
    assertThrows(IOException.class, () -> Directories.removeDirectory(d));
    assertTrue(Files.exists(d.resolve("key")));
    Files.delete(d.resolve("key"));
    Directories.removeDirectory(d);
    assertFalse(Files.exists(d));
  }
}
