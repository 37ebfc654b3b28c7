package dev.portagent.options;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.portagent.options.AgentOptions.Notify;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AgentOptionsTest {

  private static final String STACK_EXPECTED =
      "expected a whole number from 0 to 1024 (0 turns stack capture off)";
  private static final String MALFORMED =
      "is not valid: expected key=value pairs separated by commas, e.g. report=ports.json,stack=16";

  /** Agent arguments and either the options that differ from the defaults or the exact error. */
  record Case(String args, Map<String, String> changes, boolean help, String error) {
    @Override
    public String toString() {
      return args + " -> " + (error != null ? error : changes + (help ? " help" : ""));
    }
  }

  static Case ok(String args, Map<String, String> changes) {
    return new Case(args, changes, false, null);
  }

  static Case help(String args, Map<String, String> changes) {
    return new Case(args, changes, true, null);
  }

  static Case error(String args, String message) {
    return new Case(args, null, false, message);
  }

  static Stream<Case> cases() {
    return Stream.of(
        ok(null, Map.of()),
        ok("", Map.of()),
        ok("report=ports.json,stack=16", Map.of("report", "ports.json", "stack", "16")),
        ok("reportInterval=86400,history=0,accepted=false,warnAt=1,notify=all,jmx=false,verbose=true",
            Map.of("reportInterval", "86400", "history", "0", "accepted", "false", "warnAt", "1",
                "notify", "all", "jmx", "false", "verbose", "true")),
        ok("stack=0,history=10000000,warnAt=100,reportInterval=0",
            Map.of("stack", "0", "history", "10000000", "warnAt", "100")),
        ok("maxRows=1", Map.of("maxRows", "1")),
        ok("stackRate=0", Map.of("stackRate", "0")),
        ok("stackRate=1000000,stack=4", Map.of("stackRate", "1000000", "stack", "4")),
        error("stackRate=-1", "portagent: option stackRate=-1 is not valid: expected a whole number from 0 to 1000000"
            + " (0 takes every socket's stack)"),
        error("stackRate=all", "portagent: option stackRate=all is not valid: expected a whole number from 0 to 1000000"
            + " (0 takes every socket's stack)"),
        ok("maxRows=1000000", Map.of("maxRows", "1000000")),
        ok("reconcile=0", Map.of("reconcile", "0")),
        ok("reconcile=86400", Map.of("reconcile", "86400")),
        // Lenient: empty segments, e.g. from a trailing comma, are ignored.
        ok("stack=8,", Map.of("stack", "8")),
        ok(",,stack=8,,notify=none,", Map.of("stack", "8", "notify", "none")),
        ok(" stack = 8 , jmx = FALSE ", Map.of("stack", "8", "jmx", "false")),
        ok("notify=ALL,verbose=True", Map.of("notify", "all", "verbose", "true")),
        ok("report=a=b.json", Map.of("report", "a=b.json")),
        ok("report=/tmp/ports-{pid}.json", Map.of("report", "/tmp/ports-{pid}.json")),
        ok("format=html,summary=stderr", Map.of("format", "html", "summary", "stderr")),
        help("help", Map.of()),
        help("stack=4,help,", Map.of("stack", "4")),

        error("stack=abc", "portagent: option stack=abc is not valid: " + STACK_EXPECTED),
        error("stack=1025", "portagent: option stack=1025 is not valid: " + STACK_EXPECTED),
        error("stack=-1", "portagent: option stack=-1 is not valid: " + STACK_EXPECTED),
        error("stack=1.5", "portagent: option stack=1.5 is not valid: " + STACK_EXPECTED),
        error("stack=99999999999", "portagent: option stack=99999999999 is not valid: " + STACK_EXPECTED),
        error("stack=", "portagent: option stack= is not valid: " + STACK_EXPECTED),
        error("report=", "portagent: option report= is not valid:"
            + " expected a non-empty file path ({pid} expands to the process id)"),
        error("reportInterval=86401", "portagent: option reportInterval=86401 is not valid:"
            + " expected a whole number from 0 to 86400 (0 turns periodic reports off)"),
        error("reconcile=-1", "portagent: option reconcile=-1 is not valid:"
            + " expected a whole number from 0 to 86400 (0 turns the periodic scan off)"),
        error("reconcile=1m", "portagent: option reconcile=1m is not valid:"
            + " expected a whole number from 0 to 86400 (0 turns the periodic scan off)"),
        error("history=10000001", "portagent: option history=10000001 is not valid:"
            + " expected a whole number from 0 to 10000000"),
        error("warnAt=0", "portagent: option warnAt=0 is not valid: expected a whole number from 1 to 100"),
        error("maxRows=0", "portagent: option maxRows=0 is not valid: expected a whole number from 1 to 1000000"),
        error("jmx=yes", "portagent: option jmx=yes is not valid: expected true or false"),
        error("accepted=1", "portagent: option accepted=1 is not valid: expected true or false"),
        error("notify=some", "portagent: option notify=some is not valid: expected one of warnings, all, none"),
        error("format=xml", "portagent: option format=xml is not valid: expected one of auto, json, html"),
        error("foo=1", "portagent: unknown option foo=1: known options are"
            + " report, reportInterval, stack, stackRate, reconcile, history, accepted, warnAt, notify, jmx, maxRows, verbose, format, summary, cache, help"),
        error("Stack=1", "portagent: unknown option Stack=1: known options are"
            + " report, reportInterval, stack, stackRate, reconcile, history, accepted, warnAt, notify, jmx, maxRows, verbose, format, summary, cache, help"),
        error("help=yes", "portagent: option help=yes is not valid: help takes no value, write just help"),
        error("stack", "portagent: agent argument \"stack\" " + MALFORMED),
        error("report=a.json,stack", "portagent: agent argument \"stack\" " + MALFORMED),
        error("=5", "portagent: agent argument \"=5\" " + MALFORMED),
        error("stack=1, stack = 2",
            "portagent: option stack=2 is not valid: stack is already given as stack=1; give each option once"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void parsesAgentArguments(Case c) throws OptionException {
    if (c.error() != null) {
      assertThatThrownBy(() -> AgentOptions.parse(c.args(), Map.of(), Map.of()))
          .isInstanceOf(OptionException.class)
          .hasMessage(c.error());
      return;
    }
    Map<String, String> expected = new LinkedHashMap<>(AgentOptions.defaults().effective());
    expected.putAll(c.changes());
    AgentOptions options = AgentOptions.parse(c.args(), Map.of(), Map.of());
    assertThat(options.effective()).containsExactlyEntriesOf(expected);
    assertThat(options.help()).isEqualTo(c.help());
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({
      "report=ports.json, false",
      "report=ports.html, true",
      "report=PORTS.HTM, true",
      "'report=ports.html,format=json', false",
      "'report=ports.txt,format=html', true",
  })
  void theReportFormatFollowsTheFileNameUnlessGiven(String args, boolean html) throws OptionException {
    assertThat(AgentOptions.parse(args, Map.of(), Map.of()).htmlReport()).isEqualTo(html);
  }

  @Test
  void theSummaryPathExpandsThePid() throws OptionException {
    assertThat(AgentOptions.parse("summary=/tmp/s-{pid}.txt", Map.of(), Map.of()).summary(7)).isEqualTo("/tmp/s-7.txt");
    assertThat(AgentOptions.defaults().summary(7)).isNull();
  }

  @Test
  void defaults() {
    AgentOptions options = AgentOptions.defaults();
    assertThat(options.report()).isNull();
    assertThat(options.reportPath(42)).isNull();
    assertThat(options.reportIntervalSeconds()).isZero();
    assertThat(options.stackDepth()).isEqualTo(32);
    assertThat(options.stackRate()).isEqualTo(1000);
    assertThat(options.reconcileSeconds()).isEqualTo(30);
    assertThat(options.history()).isEqualTo(10_000);
    assertThat(options.accepted()).isTrue();
    assertThat(options.warnAtPercent()).isEqualTo(80);
    assertThat(options.notifyMode()).isEqualTo(Notify.WARNINGS);
    assertThat(options.jmx()).isTrue();
    assertThat(options.maxRows()).isEqualTo(1000);
    assertThat(options.verbose()).isFalse();
    assertThat(options.help()).isFalse();
    assertThat(options.effective()).containsExactly(
        entry("report", null), entry("reportInterval", "0"), entry("stack", "32"),
        entry("stackRate", "1000"), entry("reconcile", "30"), entry("history", "10000"), entry("accepted", "true"), entry("warnAt", "80"),
        entry("notify", "warnings"), entry("jmx", "true"), entry("maxRows", "1000"), entry("verbose", "false"), entry("format", "auto"),
        entry("summary", null), entry("cache", "true"));
  }

  @Test
  void typedAccessors() throws OptionException {
    AgentOptions options = AgentOptions.parse("report=out/ports-{pid}-{pid}.json,reportInterval=5,stack=0,"
        + "stackRate=7,reconcile=9,history=7,accepted=false,warnAt=90,notify=none,jmx=false,maxRows=5,verbose=true", null, null);
    assertThat(options.report()).isEqualTo("out/ports-{pid}-{pid}.json");
    assertThat(options.reportPath(1234)).isEqualTo(Path.of("out/ports-1234-1234.json"));
    assertThat(options.reportIntervalSeconds()).isEqualTo(5);
    assertThat(options.stackDepth()).isZero();
    assertThat(options.stackRate()).isEqualTo(7);
    assertThat(options.reconcileSeconds()).isEqualTo(9);
    assertThat(options.history()).isEqualTo(7);
    assertThat(options.accepted()).isFalse();
    assertThat(options.warnAtPercent()).isEqualTo(90);
    assertThat(options.notifyMode()).isEqualTo(Notify.NONE);
    assertThat(options.jmx()).isFalse();
    assertThat(options.maxRows()).isEqualTo(5);
    assertThat(options.verbose()).isTrue();
  }

  @Test
  void effectiveIsUnmodifiable() {
    assertThatThrownBy(() -> AgentOptions.defaults().effective().put("stack", "1"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void agentArgumentsWinOverSystemPropertiesWhichWinOverEnvironment() throws OptionException {
    AgentOptions options = AgentOptions.parse("stack=1",
        Map.of("portagent.stack", "2", "portagent.history", "20"),
        Map.of("PORTAGENT_STACK", "3", "PORTAGENT_HISTORY", "30", "PORTAGENT_WARN_AT", "33",
            "PORTAGENT_STACK_RATE", "5"));
    assertThat(options.stackDepth()).isEqualTo(1);
    assertThat(options.stackRate()).isEqualTo(5);
    assertThat(options.history()).isEqualTo(20);
    assertThat(options.warnAtPercent()).isEqualTo(33);
  }

  @Test
  void environmentAcceptsBothSpellingsOfCamelCaseKeys() throws OptionException {
    assertThat(AgentOptions.parse(null, null, Map.of("PORTAGENT_REPORT_INTERVAL", "5"))
        .reportIntervalSeconds()).isEqualTo(5);
    assertThat(AgentOptions.parse(null, null, Map.of("PORTAGENT_REPORTINTERVAL", "6"))
        .reportIntervalSeconds()).isEqualTo(6);
    assertThat(AgentOptions.parse(null, null,
        Map.of("PORTAGENT_REPORT_INTERVAL", "5", "PORTAGENT_REPORTINTERVAL", "6"))
        .reportIntervalSeconds()).isEqualTo(5);
  }

  @Test
  void environmentNamesIgnoreTheDefaultLocale() throws OptionException {
    Locale saved = Locale.getDefault();
    Locale.setDefault(Locale.forLanguageTag("tr-TR"));
    try {
      assertThat(AgentOptions.parse(null, null, Map.of("PORTAGENT_HISTORY", "5")).history()).isEqualTo(5);
    } finally {
      Locale.setDefault(saved);
    }
  }

  @Test
  void badValuesFromPropertiesAndEnvironmentSayWhereTheyCameFrom() {
    assertThatThrownBy(() -> AgentOptions.parse(null, Map.of("portagent.stack", "abc"), null))
        .hasMessage("portagent: option stack=abc is not valid: " + STACK_EXPECTED
            + " (from system property portagent.stack)");
    assertThatThrownBy(() -> AgentOptions.parse(null, null, Map.of("PORTAGENT_WARN_AT", "0")))
        .hasMessage("portagent: option warnAt=0 is not valid: expected a whole number from 1 to 100"
            + " (from environment variable PORTAGENT_WARN_AT)");
    assertThatThrownBy(() -> AgentOptions.parse(null, null, Map.of("PORTAGENT_REPORT", "")))
        .hasMessage("portagent: option report= is not valid: expected a non-empty file path"
            + " ({pid} expands to the process id) (from environment variable PORTAGENT_REPORT)");
  }

  @Test
  void overriddenBadValuesAndUnknownPrefixedNamesAreIgnored() throws OptionException {
    AgentOptions options = AgentOptions.parse("stack=4",
        Map.of("portagent.stack", "abc", "portagent.jar", "/tmp/portagent.jar"),
        Map.of("PORTAGENT_STACK", "abc", "PORTAGENT_HOME", "/opt/portagent"));
    assertThat(options.stackDepth()).isEqualTo(4);
  }

  @Test
  void helpTextHasOneLinePerOptionWithItsDefault() {
    List<String> lines = AgentOptions.helpText().lines().toList();
    assertThat(lines).hasSize(1 + AgentOptions.defaults().effective().size() + 1);
    AgentOptions.defaults().effective().forEach((key, value) -> assertThat(lines)
        .anySatisfy(line -> assertThat(line)
            .startsWith("  " + key + " ")
            .endsWith(value == null ? "not set by default" : "default " + value)));
    assertThat(lines.get(lines.size() - 1)).startsWith("  help ");
  }
}
