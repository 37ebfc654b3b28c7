package dev.portagent.instrument;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.invoke.VarHandle;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.IntFunction;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A class loader of the agent's own, with the boot loader as parent, holding {@link InsideJdk}. The JDK
 * internals the agent needs are exported and opened to this loader's unnamed module alone. Granting
 * them to the agent's own module would grant them to the application: a -javaagent jar is on the class
 * path, and the whole class path is one unnamed module. The application could then reflect into
 * sun.nio.ch, java.net and java.lang and call jdk.internal.misc.Unsafe, and libraries that probe for
 * such access (Netty does) would take other paths than without the agent.
 */
final class PrivateLoader extends ClassLoader {

    private static final String INSIDE_JDK = "dev.portagent.instrument.InsideJdk";
    // The numbers InsideJdk.apply(int) answers to.
    private static final int SOCKET_HANDLES = 0;
    private static final int BACKTRACE_HANDLE = 1;
    private static final int AGENT_PROPERTIES = 2;
    private static PrivateLoader instance;

    // The one InsideJdk, seen through the java.* interfaces it implements.
    private final BiFunction<String, byte[], Class<?>> bootDefiner;
    private final IntFunction<Object> lookups;

    @SuppressWarnings("unchecked")
    private PrivateLoader(Instrumentation inst) throws IOException, ReflectiveOperationException {
        super("portagent-internals", null);
        byte[] bytes = classBytes(PrivateLoader.class.getClassLoader(), INSIDE_JDK);
        Class<?> insideJdk = defineClass(INSIDE_JDK, bytes, 0, bytes.length);
        Module own = getUnnamedModule();
        // java.lang: Throwable's private backtrace (JDK 17 to 25), which the digester reads. java.io:
        // FileDescriptor's fd number, which places each socket in the registry.
        inst.redefineModule(Object.class.getModule(), Set.of(),
                Map.of("jdk.internal.misc", Set.of(own), "jdk.internal.vm", Set.of(own)),
                Map.of("sun.nio.ch", Set.of(own), "java.net", Set.of(own), "java.lang", Set.of(own), "java.io", Set.of(own)),
                Set.of(), Map.of());
        Object inside = insideJdk.getConstructor().newInstance();
        bootDefiner = (BiFunction<String, byte[], Class<?>>) inside;
        lookups = (IntFunction<Object>) inside;
    }

    /** The one instance; the first call makes it and grants it the internals. */
    static synchronized PrivateLoader of(Instrumentation inst) throws IOException, ReflectiveOperationException {
        if (instance == null) {
            instance = new PrivateLoader(inst);
        }
        return instance;
    }

    static synchronized PrivateLoader made() {
        if (instance == null) {
            throw new IllegalStateException("PrivateLoader.of(Instrumentation) was not called");
        }
        return instance;
    }

    Class<?> defineInBootLoader(String name, byte[] bytes) {
        return bootDefiner.apply(name, bytes);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> socketHandles() throws ReflectiveOperationException {
        return (Map<String, Object>) lookup(SOCKET_HANDLES);
    }

    VarHandle backtraceHandle() throws ReflectiveOperationException {
        return (VarHandle) lookup(BACKTRACE_HANDLE);
    }

    java.util.Properties agentProperties() throws ReflectiveOperationException {
        return (java.util.Properties) lookup(AGENT_PROPERTIES);
    }

    private Object lookup(int what) throws ReflectiveOperationException {
        try {
            return lookups.apply(what);
        } catch (UndeclaredThrowableException e) {
            if (e.getCause() instanceof ReflectiveOperationException cause) {
                throw cause;
            }
            throw e;
        }
    }

    /**
     * The bytes of one of the agent's classes, from the agent's jar itself when it is one. A class
     * loader's getResourceAsStream would go through a jar: URL, and the JVM's first one costs
     * milliseconds of start-up (the protocol handler lookup); the class path already holds this
     * zip file open, so opening it again reads nothing twice.
     */
    static byte[] classBytes(ClassLoader loader, String name) throws IOException {
        String resource = name.replace('.', '/') + ".class";
        File jar = ownJar();
        if (jar != null) {
            try (ZipFile zip = new ZipFile(jar)) {
                ZipEntry entry = zip.getEntry(resource);
                if (entry != null) {
                    try (InputStream in = zip.getInputStream(entry)) {
                        return in.readAllBytes();
                    }
                }
            }
        }
        // Classes in a directory, as in the unit tests.
        try (InputStream in = loader == null ? ClassLoader.getSystemResourceAsStream(resource)
                : loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException(resource + " is missing from the agent jar");
            }
            return in.readAllBytes();
        }
    }

    private static File ownJar() {
        try {
            File file = new File(PrivateLoader.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return file.isFile() ? file : null;
        } catch (RuntimeException | java.net.URISyntaxException e) {
            return null; // no code source, or not a file: URL
        }
    }
}
