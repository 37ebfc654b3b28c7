package dev.portagent.options;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The agent's options, parsed once in premain. Uses nothing outside {@code java.*}.
 *
 * <p>Agent arguments are {@code key=value} pairs separated by commas, as in JaCoCo:
 * {@code -javaagent:portagent.jar=report=ports-{pid}.json,stack=16}. A pair splits at its first
 * {@code =}, so values may contain {@code =}; they can never contain a comma, so report paths with
 * commas are not supported. White space around keys and values is dropped, and empty segments (such
 * as the one a trailing comma leaves) are ignored. Keys are case-sensitive. The bare word
 * {@code help} sets {@link #help()}.
 *
 * <p>Every key can also come from the system property {@code portagent.KEY} or the environment
 * variable {@code PORTAGENT_KEY}, KEY upper-cased with or without {@code _} at camelCase boundaries
 * ({@code PORTAGENT_REPORT_INTERVAL}, which is looked at first, or {@code PORTAGENT_REPORTINTERVAL}).
 * Per key, the agent arguments win over system properties, which win over the environment. Only
 * the winning value is validated, so an overridden bad value does no harm. Unknown
 * {@code portagent.*} properties and {@code PORTAGENT_*} variables are ignored, because other tools
 * (and our own tests) share the prefix.
 */
public final class AgentOptions {

  public enum Notify { WARNINGS, ALL, NONE }

  /** AUTO: HTML when the report file name ends in .html or .htm, JSON otherwise. */
  public enum Format { AUTO, JSON, HTML }

  private static final String PID = "{pid}";

  /** The option table: a new option is a new row (plus a getter if code needs it typed). */
  private enum Option {
    REPORT("report", path(), null, "write the JSON report to this file"),
    REPORT_INTERVAL("reportInterval", wholeNumber(0, 86_400, "0 turns periodic reports off"), "0",
        "seconds between rewrites of the report"),
    STACK("stack", wholeNumber(0, 1024, "0 turns stack capture off"), "32",
        "stack frames kept for each bind"),
    STACK_RATE("stackRate", wholeNumber(0, 1_000_000, "0 takes every socket's stack"), "1000",
        "stacks taken per second at most; past it sockets are sampled evenly and the others say so in place of a site"),
    RECONCILE("reconcile", wholeNumber(0, 86_400, "0 turns the periodic scan off"), "30",
        "seconds between scans of /proc for sockets no hook saw (native code); also done at start and for every report"),
    HISTORY("history", wholeNumber(0, 10_000_000, null), "10000", "closed records kept"),
    ACCEPTED("accepted", bool(), "true", "record accepted connections too"),
    WARN_AT("warnAt", wholeNumber(1, 100, null), "80", "warn when ephemeral-port pressure towards one destination reaches this percent of the OS range"),
    NOTIFY("notify", choice(Notify.values()), "warnings", "JMX notifications: warnings (pressure and fixed ports in the ephemeral range), all (also every open and close), none"),
    JMX("jmx", bool(), "true", "register the dev.portagent:type=Ports MBean"),
    MAX_ROWS("maxRows", wholeNumber(1, 1_000_000, null), "1000", "rows in the large JMX attributes (the newest are kept)"),
    VERBOSE("verbose", bool(), "false", "log what the agent itself does on stderr"),
    FORMAT("format", choice(Format.values()), "auto", "report format; auto picks html for a .html file name"),
    SUMMARY("summary", path(), null, "print a short human summary at exit to stderr (summary=stderr) or to this file"),
    CACHE("cache", bool(), "true", "keep the instrumented JDK classes in ~/.cache/portagent (or $XDG_CACHE_HOME/portagent) for a faster start");

    final String key;
    final Kind kind;
    final String defaultValue;
    final String meaning;

    Option(String key, Kind kind, String defaultValue, String meaning) {
      this.key = key;
      this.kind = kind;
      this.defaultValue = defaultValue;
      this.meaning = meaning;
    }

    static Option byKey(String key) {
      for (Option option : values()) {
        if (option.key.equals(key)) {
          return option;
        }
      }
      return null;
    }
  }

  /**
   * How values of one type are read; {@link #parse} answers null for a value it rejects. A switch,
   * not lambdas: options are parsed in premain, where each lambda costs start-up time.
   */
  private static final class Kind {
    // Not an enum: a switch on one costs a class of its own in premain.
    static final int NUMBER = 0;
    static final int BOOL = 1;
    static final int CHOICE = 2;
    static final int PATH = 3;

    private final int type;
    private final String expected;
    private final int min;
    private final int max;
    private final Enum<?>[] constants;

    private Kind(int type, String expected, int min, int max, Enum<?>[] constants) {
      this.type = type;
      this.expected = expected;
      this.min = min;
      this.max = max;
      this.constants = constants;
    }

    String expected() {
      return expected;
    }

    Object parse(String value) {
      switch (type) {
        case NUMBER:
          try {
            int number = Integer.parseInt(value);
            return number >= min && number <= max ? number : null;
          } catch (NumberFormatException e) {
            return null;
          }
        case BOOL:
          return value.equalsIgnoreCase("true") ? Boolean.TRUE : value.equalsIgnoreCase("false") ? Boolean.FALSE : null;
        case CHOICE:
          for (Enum<?> constant : constants) {
            if (lower(constant).equals(value.toLowerCase(Locale.ROOT))) {
              return constant;
            }
          }
          return null;
        default:
          try {
            Path.of(value.replace(PID, "0"));
            return value;
          } catch (InvalidPathException e) {
            return null;
          }
      }
    }
  }

  /** Every option at its default: made at the first call, as premain needs only the options given. */
  public static AgentOptions defaults() {
    return Defaults.OPTIONS;
  }

  private static final class Defaults {
    static final AgentOptions OPTIONS = parseDefaults();
  }

  private final Map<Option, Object> values;
  private final boolean help;
  private final Map<String, String> effective;

  private AgentOptions(Map<Option, Object> values, boolean help) {
    this.values = values;
    this.help = help;
    Map<String, String> effective = new LinkedHashMap<>();
    for (Option option : Option.values()) {
      effective.put(option.key, format(values.get(option)));
    }
    this.effective = Collections.unmodifiableMap(effective);
  }

  /**
   * @param agentArgs the {@code -javaagent} argument string, may be null or empty
   * @param sysProps system properties, e.g. a view of {@code System.getProperties()}; null means none
   * @param env environment variables, e.g. {@code System.getenv()}; null means none
   */
  public static AgentOptions parse(String agentArgs, Map<String, String> sysProps,
      Map<String, String> env) throws OptionException {
    sysProps = sysProps == null ? Map.of() : sysProps;
    env = env == null ? Map.of() : env;
    Map<Option, String> given = new EnumMap<>(Option.class);
    boolean help = false;
    for (String segment : (agentArgs == null ? "" : agentArgs).split(",")) {
      String pair = segment.strip();
      if (pair.isEmpty()) {
        continue;
      }
      if (pair.equals("help")) {
        help = true;
        continue;
      }
      int eq = pair.indexOf('=');
      String key = eq < 0 ? "" : pair.substring(0, eq).strip();
      if (key.isEmpty()) {
        throw new OptionException("portagent: agent argument \"" + pair + "\" is not valid:"
            + " expected key=value pairs separated by commas, e.g. report=ports.json,stack=16");
      }
      String value = pair.substring(eq + 1).strip();
      Option option = Option.byKey(key);
      if (option == null) {
        throw new OptionException(key.equals("help")
            ? "portagent: option " + key + "=" + value + " is not valid: help takes no value, write just help"
            : "portagent: unknown option " + key + "=" + value + ": known options are " + knownKeys());
      }
      String earlier = given.putIfAbsent(option, value);
      if (earlier != null) {
        throw new OptionException("portagent: option " + key + "=" + value + " is not valid: " + key
            + " is already given as " + key + "=" + earlier + "; give each option once");
      }
    }

    Map<Option, Object> values = new EnumMap<>(Option.class);
    for (Option option : Option.values()) {
      String raw = given.get(option);
      String source = "";
      // Looked up only when there is anything to look in: premain parses the options of every JVM it starts in.
      if (raw == null && !sysProps.isEmpty()) {
        String property = "portagent." + option.key;
        if (sysProps.get(property) != null) {
          raw = sysProps.get(property);
          source = " (from system property " + property + ")";
        }
      }
      if (raw == null && !env.isEmpty()) {
        for (String variable : envNames(option.key)) {
          if (raw == null && env.get(variable) != null) {
            raw = env.get(variable);
            source = " (from environment variable " + variable + ")";
          }
        }
      }
      if (raw == null) {
        raw = option.defaultValue;
      }
      values.put(option, raw == null ? null : convert(option, raw.strip(), source));
    }
    return new AgentOptions(values, help);
  }

  private static Object convert(Option option, String value, String source) throws OptionException {
    Object converted = value.isEmpty() ? null : option.kind.parse(value);
    if (converted == null) {
      throw new OptionException("portagent: option " + option.key + "=" + value
          + " is not valid: expected " + option.kind.expected() + source);
    }
    return converted;
  }

  /** {@code reportInterval} -> {@code PORTAGENT_REPORT_INTERVAL}, then {@code PORTAGENT_REPORTINTERVAL}. */
  private static List<String> envNames(String key) {
    StringBuilder snake = new StringBuilder("PORTAGENT_");
    for (char c : key.toCharArray()) {
      if (Character.isUpperCase(c)) {
        snake.append('_');
      }
      snake.append(c);
    }
    // Locale.ROOT: in a Turkish locale "history" would otherwise become "HİSTORY".
    String underscored = snake.toString().toUpperCase(Locale.ROOT);
    String plain = ("PORTAGENT_" + key).toUpperCase(Locale.ROOT);
    return underscored.equals(plain) ? List.of(plain) : List.of(underscored, plain);
  }

  public String report() {
    return (String) values.get(Option.REPORT);
  }

  public Path reportPath(long pid) {
    String report = report();
    return report == null ? null : Path.of(report.replace(PID, Long.toString(pid)));
  }

  public boolean htmlReport() {
    Format format = (Format) values.get(Option.FORMAT);
    if (format == Format.AUTO) {
      String report = report();
      String name = report == null ? "" : report.toLowerCase(Locale.ROOT);
      return name.endsWith(".html") || name.endsWith(".htm");
    }
    return format == Format.HTML;
  }

  /** "stderr", a file path with {pid} expanded, or null when no summary was asked for. */
  public String summary(long pid) {
    String summary = (String) values.get(Option.SUMMARY);
    return summary == null ? null : summary.replace(PID, Long.toString(pid));
  }

  public int reportIntervalSeconds() {
    return (Integer) values.get(Option.REPORT_INTERVAL);
  }

  public int stackDepth() {
    return (Integer) values.get(Option.STACK);
  }

  public int stackRate() {
    return (Integer) values.get(Option.STACK_RATE);
  }

  public int reconcileSeconds() {
    return (Integer) values.get(Option.RECONCILE);
  }

  public int history() {
    return (Integer) values.get(Option.HISTORY);
  }

  public boolean accepted() {
    return (Boolean) values.get(Option.ACCEPTED);
  }

  public int warnAtPercent() {
    return (Integer) values.get(Option.WARN_AT);
  }

  public Notify notifyMode() {
    return (Notify) values.get(Option.NOTIFY);
  }

  public boolean jmx() {
    return (Boolean) values.get(Option.JMX);
  }

  public int maxRows() {
    return (Integer) values.get(Option.MAX_ROWS);
  }

  public boolean cache() {
    return (Boolean) values.get(Option.CACHE);
  }

  public boolean verbose() {
    return (Boolean) values.get(Option.VERBOSE);
  }

  public boolean help() {
    return help;
  }

  /** Every option key, in table order, with its effective value; {@code report} maps to null when not set. */
  public Map<String, String> effective() {
    return effective;
  }

  public static String helpText() {
    StringBuilder text = new StringBuilder("portagent options: -javaagent:portagent.jar=key=value,..."
        + " or -Dportagent.key=value or PORTAGENT_KEY=value\n");
    for (Option option : Option.values()) {
      String value = option.defaultValue == null ? "not set by default" : "default " + option.defaultValue;
      text.append(String.format("  %-15s %s: %s; %s%n", option.key, option.meaning, option.kind.expected(), value));
    }
    return text.append(String.format("  %-15s %s%n", "help", "print this text")).toString();
  }

  @Override
  public String toString() {
    return "AgentOptions" + effective + (help ? " help" : "");
  }

  private static String knownKeys() {
    List<String> keys = new ArrayList<>();
    for (Option option : Option.values()) {
      keys.add(option.key);
    }
    keys.add("help");
    return String.join(", ", keys);
  }

  private static String format(Object value) {
    if (value instanceof Enum<?> constant) {
      return lower(constant);
    }
    return value == null ? null : value.toString();
  }

  private static String lower(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT);
  }

  private static Kind wholeNumber(int min, int max, String note) {
    return new Kind(Kind.NUMBER, "a whole number from " + min + " to " + max + (note == null ? "" : " (" + note + ")"),
        min, max, null);
  }

  private static Kind bool() {
    return new Kind(Kind.BOOL, "true or false", 0, 0, null);
  }

  private static Kind choice(Enum<?>[] constants) {
    List<String> names = new ArrayList<>();
    for (Enum<?> constant : constants) {
      names.add(lower(constant));
    }
    return new Kind(Kind.CHOICE, "one of " + String.join(", ", names), 0, 0, constants);
  }

  private static Kind path() {
    return new Kind(Kind.PATH, "a non-empty file path (" + PID + " expands to the process id)", 0, 0, null);
  }

  private static AgentOptions parseDefaults() {
    try {
      return parse(null, null, null);
    } catch (OptionException e) {
      throw new AssertionError("the option table's defaults must be valid", e);
    }
  }
}
