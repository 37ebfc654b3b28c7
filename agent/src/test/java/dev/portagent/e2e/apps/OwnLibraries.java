package dev.portagent.e2e.apps;

import static net.bytebuddy.matcher.ElementMatchers.named;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.ClassFileVersion;
import net.bytebuddy.implementation.FixedValue;

/**
 * Child program of OwnLibrariesIT: an application with its own Jackson and Byte Buddy, of other
 * versions than the agent's, which it uses while holding a port, and which tells which JDK internals
 * it can reach. Compiled against the test class
 * path's versions; run with the older ones from e2e-libs, whose API it uses unchanged.
 */
public final class OwnLibraries {

    public static void main(String[] args) throws Exception {
        ServerSocket listener = new ServerSocket(0);
        System.out.println("JSON " + new ObjectMapper().writeValueAsString(Map.of("port", listener.getLocalPort())));
        // Class files for 17: a Byte Buddy older than the JVM need not know the JVM's class file version.
        Class<?> made = new ByteBuddy(ClassFileVersion.JAVA_V17).subclass(Object.class)
                .method(named("toString")).intercept(FixedValue.value("made by the application's Byte Buddy"))
                .make().load(OwnLibraries.class.getClassLoader()).getLoaded();
        System.out.println("CLASS " + made.getDeclaredConstructor().newInstance());
        System.out.println("JACKSON " + jarOf(ObjectMapper.class));
        System.out.println("BYTEBUDDY " + jarOf(ByteBuddy.class));
        System.out.println("INTERNALS " + reachableInternals());
        System.out.println("READY");
        System.in.read();
        listener.close();
    }

    /** The JDK internals this class path may reach: none, unless the command line opens some. */
    private static List<String> reachableInternals() {
        List<String> reachable = new ArrayList<>();
        if (canOpen("sun.nio.ch.SelectorImpl", "selectedKeys")) {
            reachable.add("sun.nio.ch");
        }
        if (canOpen("java.net.ServerSocket", "impl")) {
            reachable.add("java.net");
        }
        // What the agent's digester reads (through its private loader).
        if (canOpen("java.lang.Throwable", "backtrace")) {
            reachable.add("java.lang");
        }
        try {
            Class.forName("jdk.internal.misc.Unsafe").getMethod("getUnsafe").invoke(null);
            reachable.add("jdk.internal.misc");
        } catch (ReflectiveOperationException | RuntimeException closed) {
            // as it should be
        }
        return reachable;
    }

    private static boolean canOpen(String className, String field) {
        try {
            Class.forName(className).getDeclaredField(field).setAccessible(true);
            return true;
        } catch (ReflectiveOperationException | RuntimeException closed) {
            return false;
        }
    }

    private static String jarOf(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).getFileName().toString();
    }
}
