package dev.portagent.report;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * JSON streamed as it is written: the few shapes the report has, without a library, so that writing a report
 * never waits for Jackson to be unpacked, nor fails when it cannot be. The layout is that of Jackson's default
 * pretty printer, which wrote the report before (objects one field a line, two spaces a level; arrays on the
 * line, {@code [ "a", "b" ]}): scripts that read reports line by line see no change. Method names follow
 * Jackson's generator.
 */
final class JsonWriter implements Closeable {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final Writer out;
    // For each open object (true) or array (false), and how many members it has so far.
    private boolean[] object = new boolean[8];
    private int[] members = new int[8];
    private int depth;
    // Open objects: arrays stay on their line and indent nothing.
    private int indent;

    JsonWriter(OutputStream out) {
        this.out = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
    }

    void writeStartObject() throws IOException {
        value();
        open(true);
    }

    void writeObjectFieldStart(String name) throws IOException {
        name(name);
        open(true);
    }

    void writeArrayFieldStart(String name) throws IOException {
        name(name);
        open(false);
    }

    void writeEndObject() throws IOException {
        depth--;
        indent--;
        if (members[depth] > 0) {
            newLine();
        } else {
            out.write(' ');
        }
        out.write('}');
    }

    void writeEndArray() throws IOException {
        depth--;
        out.write(" ]");
    }

    void writeStringField(String name, String value) throws IOException {
        name(name);
        string(value);
    }

    void writeNumberField(String name, long value) throws IOException {
        name(name);
        out.write(Long.toString(value));
    }

    void writeBooleanField(String name, boolean value) throws IOException {
        name(name);
        out.write(value ? "true" : "false");
    }

    void writeNullField(String name) throws IOException {
        name(name);
        out.write("null");
    }

    /** A string in an array. */
    void writeString(String value) throws IOException {
        value();
        string(value);
    }

    /** Flushes; the stream stays open, its owner closes it. */
    @Override
    public void close() throws IOException {
        out.flush();
    }

    private void name(String name) throws IOException {
        out.write(members[depth - 1]++ > 0 ? "," : "");
        newLine();
        string(name);
        out.write(" : ");
    }

    /** What goes before a value in an array (nothing at the root: a value in an object follows its name). */
    private void value() throws IOException {
        if (depth > 0 && !object[depth - 1]) {
            out.write(members[depth - 1]++ > 0 ? ", " : " ");
        }
    }

    private void open(boolean isObject) throws IOException {
        out.write(isObject ? '{' : '[');
        if (depth == object.length) {
            object = Arrays.copyOf(object, depth * 2);
            members = Arrays.copyOf(members, depth * 2);
        }
        object[depth] = isObject;
        members[depth++] = 0;
        if (isObject) {
            indent++;
        }
    }

    private void newLine() throws IOException {
        out.write('\n');
        for (int i = 0; i < indent; i++) {
            out.write("  ");
        }
    }

    /**
     * RFC 8259, as Jackson escapes: quotes, backslashes, control characters and surrogates (a character beyond
     * the BMP is written as its two halves, {@code \uD83D\uDE00}); the rest as it is.
     */
    private void string(String value) throws IOException {
        if (value == null) {
            out.write("null");
            return;
        }
        out.write('"');
        int start = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\' && !Character.isSurrogate(c)) {
                continue;
            }
            out.write(value, start, i - start);
            start = i + 1;
            switch (c) {
                case '"' -> out.write("\\\"");
                case '\\' -> out.write("\\\\");
                case '\n' -> out.write("\\n");
                case '\t' -> out.write("\\t");
                case '\r' -> out.write("\\r");
                case '\b' -> out.write("\\b");
                case '\f' -> out.write("\\f");
                default -> {
                    // Control characters, and the halves of a character beyond the BMP (a lone one stays legal)
                    out.write("\\u");
                    for (int shift = 12; shift >= 0; shift -= 4) {
                        out.write(HEX[(c >> shift) & 15]);
                    }
                }
            }
        }
        out.write(value, start, value.length() - start);
        out.write('"');
    }
}
