package dev.portagent.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RegistryAddressTest {

    @ParameterizedTest
    @CsvSource({
            "127.0.0.1, false, 127.0.0.1",
            "127.0.0.1, true, ::ffff:127.0.0.1",
            "::, true, ::",
            "0.0.0.0, true, ::",
            "0.0.0.0, false, 0.0.0.0",
            "::1, true, ::1",
            "fe80:0:0:0:1:0:0:1, true, fe80::1:0:0:1",
            "2001:db8:0:0:1:0:0:0, true, 2001:db8:0:0:1::",
            "2001:db8:1:2:3:4:5:6, true, 2001:db8:1:2:3:4:5:6",
    })
    void addressesReadAsSsShowsThem(String address, boolean ipv6Socket, String expected) throws UnknownHostException {
        assertThat(Registry.address(InetAddress.getByName(address), ipv6Socket)).isEqualTo(expected);
    }
}
