package dev.portagent.instrument;

import java.lang.instrument.Instrumentation;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Defines the {@code dev.portagent.bootstrap} classes in the boot class loader, where advice inlined
 * into java.base can see them.
 *
 * <p>Appending a jar with {@link Instrumentation#appendToBootstrapClassLoaderSearch} would be simpler,
 * but JDK 17 then prints "Sharing is only supported for boot loader classes because bootstrap
 * classpath has been appended" on every start. Defining the two classes directly prints nothing; the
 * {@link PrivateLoader} does it, as nothing else of the agent may use jdk.internal.misc.
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
        // The one lookup that fails in the usual start: each failure builds an exception.
        Class<?> existing = findBoot(HOOKS);
        if (existing != null) {
            return existing;
        }
        PrivateLoader internals = PrivateLoader.of(inst);
        Class<?> hooks = null;
        for (String name : CLASSES) {
            try {
                hooks = internals.defineInBootLoader(name, PrivateLoader.classBytes(agentLoader, name));
            } catch (LinkageError e) {
                // Already there: a load of the agent that failed half-way, or one that raced us.
                hooks = findBoot(name);
                if (hooks == null) {
                    throw e;
                }
            }
        }
        // Advice inlined into java.base calls PortHooks: java.base must read the boot loader's unnamed module.
        inst.redefineModule(Object.class.getModule(), Set.of(hooks.getModule()), Map.of(), Map.of(), Set.of(), Map.of());
        return hooks;
    }

    private static Class<?> findBoot(String name) {
        try {
            return Class.forName(name, false, null);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }
}
