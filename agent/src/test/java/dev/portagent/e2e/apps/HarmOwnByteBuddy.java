package dev.portagent.e2e.apps;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import java.util.TreeMap;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.dynamic.loading.ClassLoadingStrategy;
import net.bytebuddy.implementation.FixedValue;
import net.bytebuddy.matcher.ElementMatchers;

/**
 * Child application that brings its own Byte Buddy and Jackson (other versions than the agent shades):
 * it generates a class with its Byte Buddy, round-trips JSON with its ObjectMapper, and listens on a port.
 * It prints where each library came from, so the test can tell the application's copies were used.
 */
public final class HarmOwnByteBuddy {

    public abstract static class Greeter {
        public abstract String greet();
    }

    public static void main(String[] args) throws Exception {
        Greeter generated = new ByteBuddy()
                .subclass(Greeter.class)
                .method(ElementMatchers.named("greet")).intercept(FixedValue.value("hello from a generated class"))
                .make()
                .load(HarmOwnByteBuddy.class.getClassLoader(), ClassLoadingStrategy.Default.WRAPPER)
                .getLoaded().getDeclaredConstructor().newInstance();
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            ObjectMapper mapper = new ObjectMapper();
            String json = mapper.writeValueAsString(new TreeMap<>(Map.of("greeting", generated.greet(),
                    "port", listener.getLocalPort())));
            System.out.println("JSON " + json);
            System.out.println("READ " + mapper.readValue(json, Map.class).get("greeting"));
            System.out.println("BYTEBUDDY " + jarOf(ByteBuddy.class));
            System.out.println("JACKSON " + jarOf(ObjectMapper.class) + " " + com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION);
        }
    }

    private static String jarOf(Class<?> c) {
        String location = c.getProtectionDomain().getCodeSource().getLocation().getPath();
        return location.substring(location.lastIndexOf('/') + 1);
    }
}
