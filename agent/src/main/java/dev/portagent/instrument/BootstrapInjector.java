package dev.portagent.instrument;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Defines the {@code dev.portagent.bootstrap} classes in the boot class loader, where advice inlined
 * into java.base can see them.
 *
 * <p>Appending a jar with {@link Instrumentation#appendToBootstrapClassLoaderSearch} would be simpler,
 * but JDK 17 then prints "Sharing is only supported for boot loader classes because bootstrap
 * classpath has been appended" on every start. Defining the two classes directly prints nothing.
 * It must run before any class that names a bootstrap class is loaded, and must not name one itself:
 * the verifier would load the jar's copy into the application class loader, and the recorder would
 * then implement a PortListener that the boot loader's PortHooks does not know.
 */
public final class BootstrapInjector {

    static final String HOOKS = "dev.portagent.bootstrap.PortHooks";
    // Superinterfaces first: defining PortHooks does not need PortListener, but a listener implementation does.
    private static final List<String> CLASSES = List.of("dev.portagent.bootstrap.PortListener", HOOKS);

    private BootstrapInjector() {
    }

    /** Returns the boot loader's PortHooks, defining the bootstrap classes unless an earlier load did. */
    public static Class<?> inject(Instrumentation inst, ClassLoader agentLoader) throws Exception {
        Class<?> existing = findBoot(HOOKS);
        if (existing != null) {
            return existing;
        }
        Module javaBase = Object.class.getModule();
        Module agent = BootstrapInjector.class.getModule();
        // jdk.internal.misc.Unsafe.defineClass with a null loader defines a class in the boot loader;
        // it exists unchanged in 17, 21 and 25.
        inst.redefineModule(javaBase, Set.of(), Map.of("jdk.internal.misc", Set.of(agent)),
                Map.of("jdk.internal.misc", Set.of(agent)), Set.of(), Map.of());
        Class<?> unsafeClass = Class.forName("jdk.internal.misc.Unsafe");
        Object unsafe = unsafeClass.getMethod("getUnsafe").invoke(null);
        Method define = unsafeClass.getMethod("defineClass", String.class, byte[].class, int.class, int.class,
                ClassLoader.class, java.security.ProtectionDomain.class);
        Class<?> hooks = null;
        for (String name : CLASSES) {
            byte[] bytes = read(agentLoader, name);
            Class<?> c = findBoot(name);
            if (c == null) {
                c = (Class<?>) define.invoke(unsafe, name, bytes, 0, bytes.length, null, null);
            }
            hooks = c;
        }
        // Advice inlined into java.base calls PortHooks: java.base must read the boot loader's unnamed module.
        inst.redefineModule(javaBase, Set.of(hooks.getModule()), Map.of(), Map.of(), Set.of(), Map.of());
        return hooks;
    }

    private static Class<?> findBoot(String name) {
        try {
            return Class.forName(name, false, null);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    private static byte[] read(ClassLoader loader, String name) throws IOException {
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
