package be.audiencematch.redis;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The version a start-up warning is based on, read from INFO's own line endings. */
class RedisSettingsCheckTest {

    @Test
    void theMajorVersionComesFromTheRedisVersionLine() {
        assertEquals("6", RedisSettingsCheck.majorVersionOf("# Server\r\nredis_version:6.2.14\r\nredis_mode:standalone\r\n"));
        assertEquals("7", RedisSettingsCheck.majorVersionOf("# Server\r\nredis_git_sha1:0\r\nredis_version:7.0.15\r\n"));
        assertNull(RedisSettingsCheck.majorVersionOf("# Server\r\nredis_mode:standalone\r\n"));
    }
}
