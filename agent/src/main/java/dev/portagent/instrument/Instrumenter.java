package dev.portagent.instrument;

import dev.portagent.bootstrap.PortHooks;
import dev.portagent.registry.Recorder;
import dev.portagent.registry.Registry;
import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.List;

/** Puts the hooks into java.base and connects them to a registry. */
public final class Instrumenter {

    private Instrumenter() {
    }

    /**
     * Call only after {@link BootstrapInjector#inject}. Returns false when another load of portagent already did it (two -javaagent flags, or an attach
     * to a JVM started with the agent).
     */
    public static boolean install(Instrumentation inst, Registry registry, int stackDepth, boolean recordAccepted)
            throws Exception {
        JdkAccess jdk = new JdkAccess(inst);
        if (!PortHooks.install(FailingListener.wrap(new Recorder(registry, jdk, stackDepth, recordAccepted)))) {
            return false;
        }
        PortTransformer transformer = new PortTransformer();
        inst.addTransformer(transformer, true);
        List<Class<?>> loaded = new ArrayList<>();
        for (Class<?> c : inst.getAllLoadedClasses()) {
            if (c.getClassLoader() == null && PortTransformer.TARGETS.containsKey(c.getName().replace('.', '/'))) {
                loaded.add(c);
            }
        }
        if (!loaded.isEmpty()) {
            inst.retransformClasses(loaded.toArray(new Class<?>[0]));
        }
        if (transformer.lastError() != null) {
            throw new IllegalStateException("could not instrument the JDK", transformer.lastError());
        }
        return true;
    }

    public static long hookFailures() {
        return PortHooks.failures();
    }
}
