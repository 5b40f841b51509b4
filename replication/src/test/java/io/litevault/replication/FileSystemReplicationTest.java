package io.litevault.replication;

import java.nio.file.Files;

class FileSystemReplicationTest extends ReplicationTest {
  @Override
  ObjectStore openBucket() throws Exception {
    return FileSystemObjectStore.create(FileSystemOptions.builder(Files.createTempDirectory("fs-bucket")).build());
  }
}
