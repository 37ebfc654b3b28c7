package dev.portagent.registry;

/** What the digester asks of the JVM about a raw stack; the instrumentation provides it. */
public interface JdkStacks {

    /**
     * The JVM's backtrace of a Throwable, the arrays its frames are made from; null when it cannot be
     * read. Never throws.
     */
    Object backtrace(Throwable raw);
}
