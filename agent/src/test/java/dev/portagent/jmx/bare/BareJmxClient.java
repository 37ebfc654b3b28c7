package dev.portagent.jmx.bare;

import java.io.Closeable;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * A JMX client that can resolve JDK classes only. The tests load it in a class loader whose parent is
 * the platform loader, so whatever the MBean sends must deserialize without portagent's classes,
 * exactly as in JConsole. Uses nothing but the JDK: never import a portagent class here.
 */
public final class BareJmxClient {

    private BareJmxClient() {
    }

    /** The connection, also {@link Closeable}; every call runs with this class's loader as context. */
    public static MBeanServerConnection connect(String serviceUrl) throws IOException {
        ClassLoader own = BareJmxClient.class.getClassLoader();
        // RMI resolves results with the latest user-defined loader on the stack (ours, as this class
        // makes the calls) and the context loader; notifications with this default loader.
        JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(serviceUrl),
                Map.of("jmx.remote.default.class.loader", own));
        MBeanServerConnection real = connector.getMBeanServerConnection();
        return (MBeanServerConnection) Proxy.newProxyInstance(own,
                new Class<?>[] {MBeanServerConnection.class, Closeable.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Closeable.class) {
                        connector.close();
                        return null;
                    }
                    Thread thread = Thread.currentThread();
                    ClassLoader saved = thread.getContextClassLoader();
                    thread.setContextClassLoader(own);
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    } finally {
                        thread.setContextClassLoader(saved);
                    }
                });
    }
}
