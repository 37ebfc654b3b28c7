package dev.portagent.jmx;

import dev.portagent.registry.SocketView;
import dev.portagent.registry.Warning;

/**
 * Where events go once the MBean is registered. Uses no javax.management type, so that nothing
 * loaded in premain pulls JMX (and java.util.logging with it) into the JVM before the application.
 */
interface Notifier {

    Notifier NONE = new Notifier() {
    };

    default void socketOpened(SocketView socket) {
    }

    default void socketClosed(SocketView socket) {
    }

    default void warning(Warning warning) {
    }

    default void pressure(EphemeralPressure.Worst worst, boolean above) {
    }
}
