package dev.portagent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands that need no other JVM: usage, exit codes, show. */
class MainTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void noArgumentPrintsTheHelp() {
        assertThat(run()).isZero();
        assertThat(out()).startsWith(Main.USAGE).contains("  reconcile ");
        assertThat(err()).isEmpty();
    }

    @Test
    void usageErrorsAreOneLineAndExit2() {
        for (String[] args : new String[][] {{"bogus"}, {"ports"}, {"ports", "abc"}, {"who", "0"}, {"who", "70000"},
                {"who", "x"}, {"list", "extra"}, {"report"}, {"show"}, {"attach"}, {"attach", "-5"}}) {
            out.reset();
            err.reset();
            assertThat(run(args)).as(String.join(" ", args)).isEqualTo(2);
            assertThat(err()).as(String.join(" ", args)).startsWith("portagent: ").endsWith("\n").hasLineCount(1);
            assertThat(out()).isEmpty();
        }
    }

    @Test
    void attachValidatesOptionsBeforeAttachingWithTheAgentsMessages() {
        // pid 1 is never attached to: the options are wrong before anything else is looked at.
        assertThat(run("attach", "1", "stack=abc")).isEqualTo(2);
        assertThat(err()).isEqualTo("portagent: option stack=abc is not valid: expected a whole number from 0 to 1024"
                + " (0 turns stack capture off)\n");
        err.reset();
        assertThat(run("attach", "1", "bogus=1")).isEqualTo(2);
        assertThat(err()).startsWith("portagent: unknown option bogus=1: known options are report,");
    }

    @Test
    void showPrintsTheTableSitesAndWarnings() throws Exception {
        Path file = Files.writeString(dir.resolve("r.json"), ReportTableTest.REPORT);

        assertThat(run("show", file.toString())).isZero();

        assertThat(out()).contains("pid 4242 (Java 17.0.9, com.example.App): 2 open", "PROTO  LOCAL",
                "com.example.App.main(App.java:12)", "sites:\n  OPENED", "warnings:\n  FIXED_PORT_IN_EPHEMERAL_RANGE")
                .doesNotContain("5353");
        out.reset();
        assertThat(run("show", "--all", file.toString())).isZero();
        assertThat(out()).contains("0.0.0.0:5353");
    }

    @Test
    void showOfWhatIsNoReport() throws Exception {
        assertThat(run("show", dir.resolve("missing.json").toString())).isEqualTo(2);
        assertThat(err()).isEqualTo("portagent: no file " + dir.resolve("missing.json") + "\n");
        err.reset();
        assertThat(run("show", Files.writeString(dir.resolve("x.json"), "[1,").toString())).isEqualTo(2);
        assertThat(err()).startsWith("portagent: " + dir.resolve("x.json") + " is not JSON").hasLineCount(1);
    }
}
