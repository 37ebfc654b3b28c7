package dev.portagent.instrument;

import dev.portagent.bootstrap.PortHooks;
import dev.portagent.registry.JdkSockets;
import dev.portagent.registry.JdkStacks;
import dev.portagent.registry.Recorder;
import dev.portagent.registry.Registry;
import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.List;

/** Puts the hooks into java.base and connects them to a registry. */
public final class Instrumenter {

    private Instrumenter() {
    }

    /** Opens the JDK internals the recorder and the reconciler read. Call only after {@link BootstrapInjector#inject}. */
    public static JdkSockets openJdk(Instrumentation inst) throws java.io.IOException, ReflectiveOperationException {
        return new JdkAccess(inst);
    }

    /** Opens what the digester reads of the JVM's raw stacks. Call only after {@link BootstrapInjector#inject}. */
    public static JdkStacks openStacks(Instrumentation inst) throws java.io.IOException, ReflectiveOperationException {
        return new JdkStackAccess(inst);
    }

    /**
     * Connects the hooks to a recorder of this registry. Call only after {@link BootstrapInjector#inject}.
     * Returns false when another load of portagent already did it (from a class loader of its own: two
     * loads from the system class loader are told apart before that, by the installer).
     */
    public static boolean hook(Registry registry, JdkSockets jdk, int stackDepth, int stackRate,
                               boolean recordAccepted) {
        return PortHooks.install(FailingListener.wrap(new Recorder(registry, jdk, stackDepth, stackRate, recordAccepted)));
    }

    /**
     * Weaves the JDK's socket classes that are loaded and not woven: all of those in use after an attach;
     * after a -javaagent, what the JVM loaded before premain (nothing, in the JDKs tested) and any the
     * transformer left alone because the hooks were not in place in time.
     */
    public static void weaveLoaded(Instrumentation inst, PortTransformer transformer) throws Exception {
        List<Class<?>> loaded = new ArrayList<>();
        for (Class<?> c : inst.getAllLoadedClasses()) {
            // Every target is in sun.nio.ch: most of the JVM's classes are ruled out without a copy of their name.
            if (c.getClassLoader() == null && c.getName().startsWith("sun.nio.ch.")) {
                String internalName = c.getName().replace('.', '/');
                if (PortTransformer.TARGETS.contains(internalName) && !transformer.wove(internalName)) {
                    loaded.add(c);
                }
            }
        }
        if (!loaded.isEmpty()) {
            inst.retransformClasses(loaded.toArray(new Class<?>[0]));
        }
        if (transformer.lastError() != null) {
            throw new IllegalStateException("could not instrument the JDK", transformer.lastError());
        }
    }

    public static long hookFailures() {
        return PortHooks.failures();
    }

    /** The JVM's agent properties (see {@link InsideJdk#agentProperties}); call after {@link BootstrapInjector#inject}. */
    public static java.util.Properties agentProperties(Instrumentation inst) throws Exception {
        return PrivateLoader.of(inst).agentProperties();
    }
}
