/** TTL tables and batched purges (issue: TTL cleanup). */
package io.litevault.ttl;
