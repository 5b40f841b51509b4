package io.litevault.bucket.s3;

import java.io.InputStream;

/**
 * An open GET response: the body stream, the object's entity tag (unquoted) and a way to drop the
 * connection without draining the rest of the body.
 */
record RawObject(InputStream body, String etag, Runnable abort) {}
