package dev.portagent.registry;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Sites of sockets that a JDK thread opened, with no application frame to name. */
class StacksTest {

    private final Stacks stacks = new Stacks(32);

    @Test
    void theJdkHttpServerIsNamedForTheConnectionsItAccepts() {
        assertThat(siteOf(
                jdk("sun.nio.ch.SocketChannelImpl", "<init>"),
                jdk("sun.nio.ch.ServerSocketChannelImpl", "accept"),
                jdk("sun.net.httpserver.ServerImpl$Dispatcher", "run"),
                jdk("java.lang.Thread", "run")))
                .isEqualTo("sun.net.httpserver.ServerImpl$Dispatcher.run(Jdk.java:1)");
    }

    @Test
    void aPoolThreadIsNeverTheSite() {
        assertThat(siteOf(
                jdk("sun.nio.ch.UnixAsynchronousSocketChannelImpl", "<init>"),
                jdk("sun.nio.ch.EPollPort$EventHandlerTask", "run"),
                jdk("java.util.concurrent.ThreadPoolExecutor", "runWorker"),
                jdk("java.lang.Thread", "run")))
                .isEqualTo("sun.nio.ch.EPollPort$EventHandlerTask.run(Jdk.java:1)");
    }

    @Test
    void theApplicationFrameIsTheSiteWhenThereIsOne() {
        Stacks.Stack stack = stacks.resolve(thrownAt(
                jdk("sun.nio.ch.Net", "bind"),
                jdk("java.net.ServerSocket", "<init>"),
                new StackTraceElement("app", null, null, "com.example.Main", "main", "Main.java", 7),
                jdk("java.lang.Thread", "run")));

        assertThat(stack.site).isEqualTo("com.example.Main.main(Main.java:7)");
        assertThat(stack.frames).first().isEqualTo("java.net.ServerSocket.<init>(Jdk.java:1)");
    }

    private static StackTraceElement jdk(String className, String method) {
        return new StackTraceElement(null, "java.base", null, className, method, "Jdk.java", 1);
    }

    private String siteOf(StackTraceElement... frames) {
        return stacks.resolve(thrownAt(frames)).site;
    }

    private static Throwable thrownAt(StackTraceElement... frames) {
        Throwable t = new Throwable();
        t.setStackTrace(frames);
        return t;
    }
}
