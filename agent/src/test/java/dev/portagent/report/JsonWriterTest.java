package dev.portagent.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The report's writer writes what Jackson's generator with its default pretty printer wrote before, byte for
 * byte (scripts that read reports line by line see no change), and a JSON parser reads back every string.
 */
class JsonWriterTest {

    /** A call the report makes, by name: JsonWriter's names are Jackson's generator's. */
    private record Call(String method, Object... args) {
        void on(Object writer) throws Exception {
            Class<?>[] types = new Class<?>[args.length];
            for (int i = 0; i < args.length; i++) {
                types[i] = args[i] instanceof Long ? long.class : args[i] instanceof Boolean ? boolean.class : String.class;
            }
            Method m = writer instanceof JsonWriter ? JsonWriter.class.getDeclaredMethod(method, types)
                    : JsonGenerator.class.getMethod(method, types);
            m.invoke(writer, args);
        }
    }

    private static final String EVERY_KIND_OF_CHARACTER;

    static {
        StringBuilder all = new StringBuilder("quote \" backslash \\ slash / ");
        for (char c = 0; c < 0x20; c++) {
            all.append(c);
        }
        // A lone surrogate is legal JSON, if not a character: a thread may be named so.
        EVERY_KIND_OF_CHARACTER = all.append("\u007f é \u2028 \u4e2d 😀 lone \ud83d end").toString();
    }

    /** The shapes of a report: nested and empty objects and arrays, objects in arrays, every kind of value. */
    private static final List<Call> REPORT_LIKE = new ArrayList<>();

    static {
        REPORT_LIKE.addAll(List.of(new Call("writeStartObject"), new Call("writeStringField", "schema", "portagent-report/1"),
                new Call("writeObjectFieldStart", "jvm"), new Call("writeNumberField", "pid", 4242L),
                new Call("writeStringField", "startTime", null), new Call("writeEndObject"),
                new Call("writeObjectFieldStart", "options"), new Call("writeEndObject"),
                new Call("writeArrayFieldStart", "sockets")));
        for (int i = 0; i < 2; i++) {
            REPORT_LIKE.addAll(List.of(new Call("writeStartObject"), new Call("writeNumberField", "id", Long.MIN_VALUE + i),
                    new Call("writeBooleanField", "ephemeral", i == 0), new Call("writeNullField", "remotePort"),
                    new Call("writeArrayFieldStart", "stack")));
            for (int frame = 0; frame < i * 2; frame++) {
                REPORT_LIKE.add(new Call("writeString", "a.B.c(B.java:" + frame + ")"));
            }
            REPORT_LIKE.addAll(List.of(new Call("writeEndArray"),
                    new Call("writeStringField", EVERY_KIND_OF_CHARACTER, EVERY_KIND_OF_CHARACTER), new Call("writeEndObject")));
        }
        REPORT_LIKE.addAll(List.of(new Call("writeEndArray"), new Call("writeArrayFieldStart", "warnings"),
                new Call("writeEndArray"), new Call("writeEndObject")));
    }

    @Test
    void writesWhatJacksonsDefaultPrettyPrinterWrote() throws Exception {
        assertThat(ours(REPORT_LIKE)).isEqualTo(jacksons(REPORT_LIKE));
    }

    @Test
    void everyStringReadsBackAsItWas() throws Exception {
        var read = new ObjectMapper().readTree(ours(REPORT_LIKE)).get("sockets").get(1);

        assertThat(read.get(EVERY_KIND_OF_CHARACTER).textValue()).isEqualTo(EVERY_KIND_OF_CHARACTER);
        assertThat(read.get("stack").get(1).textValue()).isEqualTo("a.B.c(B.java:1)");
    }

    private static String ours(List<Call> calls) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonWriter w = new JsonWriter(bytes)) {
            for (Call call : calls) {
                call.on(w);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static String jacksons(List<Call> calls) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(bytes, JsonEncoding.UTF8)) {
            g.useDefaultPrettyPrinter();
            for (Call call : calls) {
                call.on(g);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
