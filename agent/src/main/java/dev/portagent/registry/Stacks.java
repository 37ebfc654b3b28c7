package dev.portagent.registry;

import java.lang.ref.ReferenceQueue;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns the raw stack taken on the socket path into the frames a user reads, and shares one copy
 * between every record opened from the same call path. Runs on the digester thread, never on the
 * thread that opened the socket.
 */
final class Stacks {

    /** Frames as text, site first among the application frames; shared, never modified. */
    static final class Stack {
        final String site;
        final List<String> frames;

        Stack(String site, List<String> frames) {
            this.site = site;
            this.frames = frames;
        }
    }

    static final Stack NONE = new Stack(null, List.of());

    /** What a record the {@link StackBudget} left without its stack shows, and is counted under, as its site. */
    static Stack notSampled(int stackRate) {
        return new Stack("(stack not sampled: over the budget of stackRate=" + stackRate + " stacks per second)",
                List.of());
    }

    // Distinct call paths are few in a real application; the bound only protects against code that
    // generates classes per socket.
    private static final int MAX_INTERNED = 4096;

    // Call paths recognised by their backtrace (see RawStackKey), about a kilobyte per 32 frames. Paths
    // through unloaded classes are dropped; past the bound a new path is resolved frame by frame each time.
    private static final int MAX_BACKTRACES = 1024;

    private final int depth;
    private final Map<List<StackTraceElement>, Stack> interned = new ConcurrentHashMap<>();
    private final JdkStacks jdk;
    // Only the digester uses these, under the registry's digest lock.
    private final Map<RawStackKey, Stack> byBacktrace = new HashMap<>();
    private final ReferenceQueue<Class<?>> unloaded = new ReferenceQueue<>();

    Stacks(int depth) {
        this(depth, null);
    }

    /** With {@code jdk} null, or a backtrace it cannot read, every stack is resolved frame by frame. */
    Stacks(int depth, JdkStacks jdk) {
        this.depth = depth;
        this.jdk = jdk;
    }

    /**
     * The raw stacks are the recorder's own {@code new Throwable()}, whose stack trace no one sets: its
     * backtrace is all its frames are made from.
     */
    Stack resolve(Throwable raw) {
        Stack known = null;
        RawStackKey key = null;
        try {
            key = jdk == null ? null : RawStackKey.probe(jdk.backtrace(raw));
            known = key == null ? null : byBacktrace.get(key);
        } catch (RuntimeException e) {
            // A backtrace the keys misread must cost the stack its shortcut, not the digester its thread.
            key = null;
        }
        if (known == null) {
            known = resolveFrames(raw);
            if (key != null) {
                remember(key, known);
            }
        }
        return known;
    }

    private void remember(RawStackKey key, Stack stack) {
        if (unloaded.poll() != null) {
            // An application was undeployed: the paths through its classes can never match again.
            while (unloaded.poll() != null) {
                // drained: one sweep for all of them
            }
            for (Iterator<RawStackKey> kept = byBacktrace.keySet().iterator(); kept.hasNext(); ) {
                if (kept.next().dead()) {
                    kept.remove();
                }
            }
        }
        if (byBacktrace.size() < MAX_BACKTRACES) {
            byBacktrace.put(key.stored(unloaded), stack);
        }
    }

    private Stack resolveFrames(Throwable raw) {
        StackTraceElement[] all = raw.getStackTrace();
        int site = firstApplicationFrame(all);
        if (site < 0) {
            // No application frame: a JDK client such as java.net.http opened it on its own thread.
            // Name the first frame above the socket plumbing, which says which client it was.
            int from = firstJdkFrame(all);
            int client = from;
            while (client < all.length && isSocketPlumbing(all[client].getClassName())) {
                client++;
            }
            // Thread.run or a pool's worker says nothing; the outermost socket frame at least names the machinery.
            if (client > from && (client == all.length || isThreadMachinery(all[client].getClassName()))) {
                client--;
            }
            return intern(trim(all, from), client < all.length ? format(all[client]) : null);
        }
        // Keep the JDK method the application called (it may be an impl class, as for
        // ServerSocketChannel.accept) and the public API frames beneath it; drop the internals below.
        int from = site > firstJdkFrame(all) ? site - 1 : site;
        while (from > 0 && isPublicJdkApi(all[from - 1])) {
            from--;
        }
        return intern(trim(all, from), format(all[site]));
    }

    private List<StackTraceElement> trim(StackTraceElement[] all, int from) {
        return Arrays.asList(Arrays.copyOfRange(all, from, Math.min(all.length, from + depth)));
    }

    private Stack intern(List<StackTraceElement> frames, String site) {
        Stack known = interned.get(frames);
        if (known != null) {
            return known;
        }
        String[] text = new String[frames.size()];
        for (int i = 0; i < text.length; i++) {
            text[i] = format(frames.get(i));
        }
        Stack stack = new Stack(site, List.of(text));
        if (interned.size() >= MAX_INTERNED) {
            return stack;
        }
        Stack raced = interned.putIfAbsent(frames, stack);
        return raced == null ? stack : raced;
    }

    int internedCount() {
        return interned.size();
    }

    int rememberedPaths() {
        return byBacktrace.size();
    }

    static String format(StackTraceElement e) {
        StringBuilder b = new StringBuilder(96).append(e.getClassName()).append('.').append(e.getMethodName()).append('(');
        if (e.isNativeMethod()) {
            b.append("Native Method");
        } else if (e.getFileName() == null) {
            b.append("Unknown Source");
        } else {
            b.append(e.getFileName());
            if (e.getLineNumber() >= 0) {
                b.append(':').append(e.getLineNumber());
            }
        }
        return b.append(')').toString();
    }

    private static int firstJdkFrame(StackTraceElement[] all) {
        int i = 0;
        while (i < all.length && isAgent(all[i])) {
            i++;
        }
        return i;
    }

    private static int firstApplicationFrame(StackTraceElement[] all) {
        for (int i = firstJdkFrame(all); i < all.length; i++) {
            if (!isJdk(all[i])) {
                return i;
            }
        }
        return -1;
    }

    // The agent's frames on the hook path. Exact names: application code may live in dev.portagent.* too.
    private static boolean isAgent(StackTraceElement e) {
        String c = e.getClassName();
        return c.equals(Recorder.class.getName()) || c.equals("dev.portagent.bootstrap.PortHooks");
    }

    // Boot and platform loader classes are the JDK (java.base, java.net.http, jdk.*); frames of
    // hidden classes and lambdas of the JDK carry the same loader names.
    static boolean isJdk(StackTraceElement e) {
        String loader = e.getClassLoaderName();
        return loader == null ? isJdkModule(e.getModuleName()) || e.getModuleName() == null && isJdkName(e.getClassName())
                : loader.equals("platform");
    }

    private static boolean isJdkModule(String module) {
        return module != null && (module.startsWith("java.") || module.startsWith("jdk."));
    }

    private static boolean isJdkName(String className) {
        return className.startsWith("java.") || className.startsWith("javax.") || className.startsWith("sun.")
                || className.startsWith("jdk.") || className.startsWith("com.sun.");
    }

    // sun.net.httpserver is a client of the sockets, like jdk.internal.net.http: it is the name to give.
    private static boolean isSocketPlumbing(String c) {
        return c.startsWith("sun.nio.ch.") || c.startsWith("java.net.") && !c.startsWith("java.net.http.") || c.startsWith("java.nio.")
                || c.startsWith("sun.net.") && !c.startsWith("sun.net.httpserver.");
    }

    private static boolean isThreadMachinery(String c) {
        return c.equals("java.lang.Thread") || c.equals("java.lang.VirtualThread") || c.startsWith("java.util.concurrent.")
                || c.startsWith("jdk.internal.misc.") || c.startsWith("jdk.internal.vm.");
    }

    private static boolean isPublicJdkApi(StackTraceElement e) {
        String c = e.getClassName();
        return isJdk(e) && (c.startsWith("java.") || c.startsWith("javax.")) && !c.startsWith("java.lang.invoke.");
    }
}
