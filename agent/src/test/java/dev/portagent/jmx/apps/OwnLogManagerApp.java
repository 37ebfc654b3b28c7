package dev.portagent.jmx.apps;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.logging.LogManager;

/**
 * Sets its own java.util.logging LogManager class from main, as WildFly's launcher does. That only
 * works if nothing initialised java.util.logging before main: an agent that creates the platform
 * MBeanServer in premain does, and the application then gets the JDK's LogManager.
 */
public final class OwnLogManagerApp {

    public static final class AppLogManager extends LogManager {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("java.util.logging.manager", AppLogManager.class.getName());
        LogManager manager = LogManager.getLogManager();
        System.out.println("logmanager " + manager.getClass().getName());
        ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        System.out.println("ready " + listener.getLocalPort());
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        listener.close();
    }
}
