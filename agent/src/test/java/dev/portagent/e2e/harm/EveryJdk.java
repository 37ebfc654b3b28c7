package dev.portagent.e2e.harm;

import dev.portagent.e2e.Jdks;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** Arguments for a test that runs each of its cases on every JDK: (jdk, case). */
final class EveryJdk {

    private EveryJdk() {
    }

    static Stream<Arguments> times(List<?> cases) {
        return Jdks.all().flatMap(jdk -> cases.stream().map(c -> Arguments.of(jdk, c)));
    }
}
