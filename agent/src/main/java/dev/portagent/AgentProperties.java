package dev.portagent;

import java.lang.instrument.Instrumentation;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

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
            inst.redefineModule(Object.class.getModule(), Set.of(),
                    Map.of("jdk.internal.vm", Set.of(AgentProperties.class.getModule())), Map.of(), Set.of(), Map.of());
            Properties agentProperties = (Properties) Class.forName("jdk.internal.vm.VMSupport")
                    .getMethod("getAgentProperties").invoke(null);
            values.forEach(agentProperties::setProperty);
        } catch (Throwable t) {
            // the JDK moved it: the command line falls back on the MBean
        }
    }
}
