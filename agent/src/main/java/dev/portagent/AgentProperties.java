package dev.portagent;

import dev.portagent.instrument.Instrumenter;
import java.lang.instrument.Instrumentation;
import java.util.Map;
import java.util.Properties;

/**
 * Tells the command line that portagent records in this JVM, through the attach mechanism's agent
 * properties: the channel the JDK's own agents use (JDWP's listener address, the local JMX connector
 * address). Unlike system properties the application never sees them.
 */
public final class AgentProperties {

    public static final String VERSION = "dev.portagent.version";
    /** "-javaagent" or "attach". */
    public static final String LOADED_BY = "dev.portagent.loadedBy";
    public static final String OPTIONS = "dev.portagent.options";

    private AgentProperties() {
    }

    /** Best effort: without it the command line still finds the MBean. */
    static void publish(Instrumentation inst, Map<String, String> values) {
        try {
            // Read through the agent's private loader: exporting jdk.internal.vm to the agent's own module
            // would export it to the whole class path.
            Properties agentProperties = Instrumenter.agentProperties(inst);
            values.forEach(agentProperties::setProperty);
        } catch (Throwable t) {
            // the JDK moved it: the command line falls back on the MBean
        }
    }
}
