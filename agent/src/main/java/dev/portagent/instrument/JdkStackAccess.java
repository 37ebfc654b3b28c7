package dev.portagent.instrument;

import dev.portagent.registry.JdkStacks;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.lang.invoke.VarHandle;

/** The JVM's backtrace of the digester's raw stacks, through a handle that {@link InsideJdk} made. */
final class JdkStackAccess implements JdkStacks {

    // A static final, a constant to the JIT. Looked up by the first digest, not in premain: start-up
    // pays for no VarHandle it may never use.
    private static final class Handle {
        // Throwable.backtrace, private in JDK 17 to 25; null when this JVM has no such field or the
        // private loader could not be given java.lang: then every stack is resolved frame by frame.
        static final VarHandle BACKTRACE = lookUp();

        private static VarHandle lookUp() {
            try {
                return PrivateLoader.made().backtraceHandle();
            } catch (Throwable t) {
                return null;
            }
        }
    }

    JdkStackAccess(Instrumentation inst) throws IOException, ReflectiveOperationException {
        PrivateLoader.of(inst);
    }

    @Override
    public Object backtrace(Throwable raw) {
        VarHandle backtrace = Handle.BACKTRACE;
        if (backtrace == null) {
            return null;
        }
        try {
            return backtrace.get(raw);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
