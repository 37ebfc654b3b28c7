package dev.portagent.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * A JDK to run child JVMs on. A JDK the tests want but the machine lacks is still listed, as missing,
 * so that each test run says it was skipped rather than silently testing less.
 */
public record Jdk(String name, Path home, int feature, boolean present) {

    /** The JDK running the tests. */
    public static Jdk current() {
        return new Jdk("jdk" + Runtime.version().feature() + " (current)", Path.of(System.getProperty("java.home")),
                Runtime.version().feature(), true);
    }

    /** The JDK at {@code home}, with the feature version from its release file when it has one. */
    static Jdk at(String name, Path home, int expectedFeature) {
        boolean present = Files.isExecutable(javaIn(home));
        return new Jdk(name, home, present ? featureOf(home, expectedFeature) : expectedFeature, present);
    }

    public Path javaExecutable() {
        return javaIn(home);
    }

    /** Aborts the calling test, which JUnit then reports as skipped with the reason. */
    public void assumePresent() {
        if (!present) {
            Assumptions.abort("skipped: no JDK " + feature + " at " + home);
        }
    }

    @Override
    public String toString() {
        return present ? name : name + " (missing)";
    }

    private static Path javaIn(Path home) {
        return home.resolve("bin").resolve("java");
    }

    private static int featureOf(Path home, int fallback) {
        try {
            for (String line : Files.readAllLines(home.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String version = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    return Integer.parseInt(version.split("[.+-]")[0]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // an unusual layout: trust the name we were given
        }
        return fallback;
    }
}
