package io.litevault.replication;

import io.litevault.bucket.ObjectStore;
import io.litevault.bucket.fs.FileSystemObjectStore;
import io.litevault.bucket.fs.FileSystemOptions;
import java.nio.file.Files;

class FileSystemReplicationTest extends ReplicationTest {
  @Override
  ObjectStore openBucket() throws Exception {
    return FileSystemObjectStore.create(FileSystemOptions.builder(Files.createTempDirectory("fs-bucket")).build());
  }
}
