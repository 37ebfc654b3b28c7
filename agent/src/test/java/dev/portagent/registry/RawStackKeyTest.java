package dev.portagent.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Recognising a raw stack by its backtrace changes no result: the digester with the keys resolves
 * every Throwable to the same frames and site as without them, builds frames once per call path, and
 * resolves every stack as before when the backtrace cannot be read or is not what it expects.
 */
class RawStackKeyTest {

    // The agent gets this handle from its private loader; surefire opens java.lang to the tests for it.
    private static final VarHandle HANDLE = backtraceHandle();
    private static final JdkStacks BACKTRACE = raw -> HANDLE.get(raw);

    /** A raw stack like the recorder's, which counts how often its frames are built. */
    static final class Raw extends Throwable {
        int framesBuilt;

        @Override
        public StackTraceElement[] getStackTrace() {
            framesBuilt++;
            return super.getStackTrace();
        }
    }

    private static Raw fromLineA() {
        return new Raw();
    }

    private static Raw fromLineB() {
        return new Raw();
    }

    private static Raw nested(int depth) {
        return depth == 0 ? new Raw() : nested(depth - 1);
    }

    /**
     * A stack of {@code depth} frames and a few: under JUnit every stack is already several chunks of 32
     * frames deep. One lambda for all, so that equal depths are one call path.
     */
    private static Raw nestedOnFreshThread(int depth) throws InterruptedException {
        AtomicReference<Raw> made = new AtomicReference<>();
        Thread t = new Thread(() -> made.set(nested(depth)));
        t.start();
        t.join();
        return made.get();
    }

    private static RawStackKey probe(Throwable raw) {
        return RawStackKey.probe(BACKTRACE.backtrace(raw));
    }

    @Test
    void theBacktraceIsReadHere() {
        assertThat(probe(fromLineA())).as("the JVM's backtrace, of a shape RawStackKey knows").isNotNull();
    }

    @Test
    void theSamePathIsTheSameKeyAndAnotherPathAnother() throws InterruptedException {
        List<Raw> a = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            a.add(fromLineA());
        }

        assertThat(probe(a.get(0))).isEqualTo(probe(a.get(1))).hasSameHashCodeAs(probe(a.get(1)))
                .isEqualTo(probe(a.get(2)).stored(new java.lang.ref.ReferenceQueue<>()))
                .hasSameHashCodeAs(probe(a.get(2)).stored(new java.lang.ref.ReferenceQueue<>()));
        assertThat(probe(fromLineB())).isNotEqualTo(probe(a.get(0)));
        assertThat(probe(nested(3))).isNotEqualTo(probe(nested(4)));
        assertThat(probe(nestedOnFreshThread(3))).isNotEqualTo(probe(nestedOnFreshThread(4)));
    }

    @Test
    void aStackOfTwoChunksIsOneKey() throws InterruptedException {
        Raw first = nestedOnFreshThread(40);
        Raw second = nestedOnFreshThread(40);
        Raw shorter = nestedOnFreshThread(39);
        // HotSpot keeps 32 frames per chunk: these stacks take two.
        assertThat(first.getStackTrace().length).isBetween(33, 64);

        assertThat(probe(first)).isEqualTo(probe(second)).isNotEqualTo(probe(shorter));
        assertThat(probe(first).stored(new java.lang.ref.ReferenceQueue<>())).isEqualTo(probe(second));
    }

    @Test
    void resolvingWithKeysGivesWhatResolvingEveryFrameGives() throws InterruptedException {
        List<Raw> raws = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            raws.add(fromLineA());
            raws.add(fromLineB());
            raws.add(nested(i * 20));
            raws.add(nestedOnFreshThread(i * 20));
        }
        Stacks withKeys = new Stacks(32, BACKTRACE);
        Stacks everyFrame = new Stacks(32);

        for (Raw raw : raws) {
            Stacks.Stack fast = withKeys.resolve(raw);
            Stacks.Stack slow = everyFrame.resolve(raw);
            assertThat(fast.site).isEqualTo(slow.site).startsWith(RawStackKeyTest.class.getName());
            assertThat(fast.frames).isEqualTo(slow.frames);
        }
    }

    @Test
    void framesAreBuiltOncePerPathAndTheStackIsShared() throws InterruptedException {
        Stacks stacks = new Stacks(32, BACKTRACE);
        List<Raw> raws = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            raws.add(fromLineA());
        }
        for (int i = 0; i < 3; i++) {
            raws.add(nestedOnFreshThread(40));
        }

        List<Stacks.Stack> resolved = new ArrayList<>();
        for (Raw raw : raws) {
            resolved.add(stacks.resolve(raw));
        }

        assertThat(raws).extracting(raw -> raw.framesBuilt).containsExactly(1, 0, 0, 0, 0, 1, 0, 0);
        assertThat(resolved.subList(0, 5)).allSatisfy(s -> assertThat(s).isSameAs(resolved.get(0)));
        assertThat(resolved.subList(5, 8)).allSatisfy(s -> assertThat(s).isSameAs(resolved.get(5)));
        assertThat(stacks.rememberedPaths()).isEqualTo(2);
    }

    @Test
    void aBacktraceThatCannotBeReadResolvesEveryStackAsBefore() {
        Object[] unexpected = {
            null,
            "a string",
            new Object[] {new short[32], "a string"},
            new Object[] {new Object[] {Thread.class, "a string"}},
        };
        for (Object backtrace : unexpected) {
            Stacks stacks = new Stacks(32, raw -> backtrace);
            Stacks everyFrame = new Stacks(32);
            List<Raw> raws = List.of(fromLineA(), fromLineA(), fromLineA());

            for (Raw raw : raws) {
                Stacks.Stack stack = stacks.resolve(raw);
                assertThat(stack.frames).isEqualTo(everyFrame.resolve(raw).frames);
            }

            assertThat(raws).as("%s", backtrace).extracting(raw -> raw.framesBuilt).containsOnly(2);
            assertThat(stacks.rememberedPaths()).isZero();
        }
    }

    @Test
    void aFailureToReadTheBacktraceResolvesTheStackAsBefore() {
        Stacks stacks = new Stacks(32, raw -> {
            throw new IllegalStateException("a JdkStacks that breaks its promise");
        });
        Raw raw = fromLineA();

        assertThat(stacks.resolve(raw).frames).isEqualTo(new Stacks(32).resolve(raw).frames);
        assertThat(raw.framesBuilt).isEqualTo(2);
    }

    @Test
    void aStackTooDeepToKeyIsResolvedEveryTime() throws InterruptedException {
        Stacks stacks = new Stacks(32, BACKTRACE);
        List<Raw> raws = List.of(nestedOnFreshThread(700), nestedOnFreshThread(700));

        for (Raw raw : raws) {
            assertThat(stacks.resolve(raw).site).startsWith(RawStackKeyTest.class.getName());
        }

        assertThat(raws).extracting(raw -> raw.framesBuilt).containsExactly(1, 1);
    }

    @Test
    void aRememberedPathDoesNotKeepItsClassLoaderAlive() throws Exception {
        Stacks stacks = new Stacks(32, BACKTRACE);
        WeakReference<ClassLoader> loader = resolveThroughAnUndeployedApplication(stacks);
        assertThat(stacks.rememberedPaths()).isEqualTo(1);

        for (int i = 0; i < 10 && loader.get() != null; i++) {
            System.gc();
        }

        assertThat(loader.get()).as("the application's class loader, once it is unreachable").isNull();
    }

    private static WeakReference<ClassLoader> resolveThroughAnUndeployedApplication(Stacks stacks) throws Exception {
        ClassLoader application = new OneClassLoader(Application.class.getName());
        Throwable raw = (Throwable) Class.forName(Application.class.getName(), true, application)
                .getMethod("openSocket").invoke(null);
        assertThat(stacks.resolve(raw).site).startsWith(Application.class.getName() + ".openSocket(");
        return new WeakReference<>(application);
    }

    /** Code of an application with its own class loader, which may be undeployed. */
    public static final class Application {
        public static Throwable openSocket() {
            return new Throwable();
        }
    }

    private static final class OneClassLoader extends ClassLoader {
        OneClassLoader(String name) throws IOException {
            super(null);
            String resource = name.replace('.', '/') + ".class";
            try (InputStream in = RawStackKeyTest.class.getClassLoader().getResourceAsStream(resource)) {
                byte[] bytes = in.readAllBytes();
                defineClass(name, bytes, 0, bytes.length);
            }
        }
    }

    private static VarHandle backtraceHandle() {
        try {
            return MethodHandles.privateLookupIn(Throwable.class, MethodHandles.lookup())
                    .findVarHandle(Throwable.class, "backtrace", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
