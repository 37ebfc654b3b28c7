package dev.portagent.bench;

import java.lang.instrument.Instrumentation;

/** An agent that does nothing: the JVM's own price for any {@code -javaagent}, measured as a floor. */
public final class EmptyAgent {

    private EmptyAgent() {
    }

    public static void premain(String args, Instrumentation inst) {
    }
}
