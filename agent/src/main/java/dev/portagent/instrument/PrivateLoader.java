package dev.portagent.instrument;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.util.Map;
import java.util.Set;

/**
 * A class loader of the agent's own, with the boot loader as parent, holding {@link InsideJdk}. The JDK
 * internals the agent needs are exported and opened to this loader's unnamed module alone. Granting
 * them to the agent's own module would grant them to the application: a -javaagent jar is on the class
 * path, and the whole class path is one unnamed module. The application could then reflect into
 * sun.nio.ch and java.net and call jdk.internal.misc.Unsafe, and libraries that probe for such access
 * (Netty does) would take other paths than without the agent.
 */
final class PrivateLoader extends ClassLoader {

    private static final String INSIDE_JDK = "dev.portagent.instrument.InsideJdk";
    private static PrivateLoader instance;

    private final Class<?> insideJdk;

    private PrivateLoader(Instrumentation inst) throws IOException {
        super("portagent-internals", null);
        byte[] bytes = classBytes(PrivateLoader.class.getClassLoader(), INSIDE_JDK);
        insideJdk = defineClass(INSIDE_JDK, bytes, 0, bytes.length);
        Module own = getUnnamedModule();
        inst.redefineModule(Object.class.getModule(), Set.of(),
                Map.of("jdk.internal.misc", Set.of(own), "jdk.internal.vm", Set.of(own)),
                Map.of("sun.nio.ch", Set.of(own), "java.net", Set.of(own)), Set.of(), Map.of());
    }

    /** The one instance; the first call makes it and grants it the internals. */
    static synchronized PrivateLoader of(Instrumentation inst) throws IOException {
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

    Class<?> defineInBootLoader(String name, byte[] bytes) throws ReflectiveOperationException {
        return (Class<?>) insideJdk.getMethod("defineInBootLoader", String.class, byte[].class).invoke(null, name, bytes);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> socketHandles() throws ReflectiveOperationException {
        return (Map<String, Object>) insideJdk.getMethod("socketHandles").invoke(null);
    }

    java.util.Properties agentProperties() throws ReflectiveOperationException {
        return (java.util.Properties) insideJdk.getMethod("agentProperties").invoke(null);
    }

    static byte[] classBytes(ClassLoader loader, String name) throws IOException {
        String resource = name.replace('.', '/') + ".class";
        try (InputStream in = loader == null ? ClassLoader.getSystemResourceAsStream(resource)
                : loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException(resource + " is missing from the agent jar");
            }
            return in.readAllBytes();
        }
    }
}
