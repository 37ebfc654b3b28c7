package dev.portagent.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * The JDKs end-to-end tests run child JVMs on, for
 * {@code @ParameterizedTest @MethodSource("dev.portagent.e2e.Jdks#all")}: tests then call
 * {@link Jdk#assumePresent()}.
 */
public final class Jdks {

    static final Path TEMURIN_25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");

    private static final AtomicBoolean missingReported = new AtomicBoolean();

    private Jdks() {
    }

    /** The JDK running the tests, then Temurin 25 (marked missing when it is not installed). */
    public static Stream<Jdk> all() {
        Jdk current = Jdk.current();
        if (sameFile(current.home(), TEMURIN_25)) {
            return Stream.of(current);
        }
        Jdk temurin25 = Jdk.at("temurin-25", TEMURIN_25, 25);
        if (!temurin25.present() && !missingReported.getAndSet(true)) {
            // surefire's console counts skipped tests without saying why: say it once here
            System.err.println("[portagent e2e] no JDK 25 at " + TEMURIN_25 + ": tests on it are skipped");
        }
        return Stream.of(current, temurin25);
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }
}
