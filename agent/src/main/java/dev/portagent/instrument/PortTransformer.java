package dev.portagent.instrument;

import static net.bytebuddy.matcher.ElementMatchers.isAbstract;
import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.isNative;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import java.io.FileDescriptor;
import java.lang.instrument.ClassFileTransformer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.security.ProtectionDomain;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import net.bytebuddy.ClassFileVersion;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.scaffold.TypeInitializer;
import net.bytebuddy.implementation.Implementation;
import net.bytebuddy.implementation.auxiliary.AuxiliaryType;
import net.bytebuddy.pool.TypePool;
import net.bytebuddy.utility.AsmClassReader;
import net.bytebuddy.utility.AsmClassWriter;

/**
 * Weaves {@link Hooks} into the handful of java.base classes through which every INET socket passes.
 * It is a plain transformer keyed by class name rather than an AgentBuilder: it looks at nothing but
 * these names, so the application's own classes never pay for a matcher.
 */
public final class PortTransformer implements ClassFileTransformer {

    /** Internal names of the classes this transformer changes; {@link Weaver#advice} says what each receives. */
    static final Set<String> TARGETS = Set.of("sun/nio/ch/Net", "sun/nio/ch/NioSocketImpl",
            "sun/nio/ch/SocketChannelImpl", "sun/nio/ch/UnixAsynchronousSocketChannelImpl",
            "sun/nio/ch/DatagramChannelImpl", "sun/nio/ch/SocketDispatcher", "sun/nio/ch/DatagramDispatcher",
            "sun/nio/ch/UnixDispatcher");

    // Every use of Byte Buddy is in here, loaded only when a target class is loaded and the cache
    // cannot help: PortTransformer itself loads in premain, and its verification would otherwise
    // load Byte Buddy types for the signatures it names, before Libraries.ensure() made them loadable.
    static final class Weaver {

        // A switch rather than a map of lambdas next to TARGETS: premain needs only the names, and each
        // lambda costs start-up.
        static AsmVisitorWrapper advice(String internalName) {
            switch (internalName) {
                case "sun/nio/ch/Net":
                    return net();
                case "sun/nio/ch/NioSocketImpl":
                    return Advice.to(Hooks.NioSocketImplAcceptAdvice.class).on(named("accept").and(takesArguments(1)));
                case "sun/nio/ch/SocketChannelImpl":
                    return Advice.to(Hooks.SocketChannelAcceptedAdvice.class)
                            .on(isConstructor().and(takesArguments(4)).and(takesArgument(2, FileDescriptor.class))
                                    .and(takesArgument(3, SocketAddress.class)));
                case "sun/nio/ch/UnixAsynchronousSocketChannelImpl":
                    return Advice.to(Hooks.AsyncAcceptedAdvice.class)
                            .on(isConstructor().and(takesArguments(3)).and(takesArgument(1, FileDescriptor.class))
                                    .and(takesArgument(2, InetSocketAddress.class)));
                case "sun/nio/ch/DatagramChannelImpl":
                    return new AsmVisitorWrapper.Compound(
                            Advice.to(Hooks.DatagramDisconnectAdvice.class).on(named("disconnect").and(takesArguments(0))),
                            Advice.to(Hooks.DatagramBindAdvice.class).on(named("bindInternal")
                                    .and(takesArguments(SocketAddress.class))));
                case "sun/nio/ch/SocketDispatcher":
                case "sun/nio/ch/DatagramDispatcher":
                case "sun/nio/ch/UnixDispatcher":
                    return dispatcher();
                default:
                    throw new IllegalArgumentException("not a portagent target: " + internalName);
            }
        }

        private static AsmVisitorWrapper net() {
            return new AsmVisitorWrapper.Compound(
                    Advice.to(Hooks.NetSocketAdvice.class).on(named("socket")
                            .and(takesArguments(ProtocolFamily.class, boolean.class))),
                    // Two arguments on 17 (the second is always true), one on 21+.
                    Advice.to(Hooks.NetServerSocketAdvice.class).on(named("serverSocket")
                            .and(takesArgument(0, ProtocolFamily.class))),
                    Advice.to(Hooks.NetBindAdvice.class).on(named("bind")
                            .and(takesArguments(ProtocolFamily.class, FileDescriptor.class, InetAddress.class, int.class))),
                    Advice.to(Hooks.NetConnectAdvice.class).on(named("connect")
                            .and(takesArguments(ProtocolFamily.class, FileDescriptor.class, InetAddress.class, int.class))),
                    Advice.to(Hooks.NetLocalAddressAdvice.class).on(named("localAddress")
                            .and(takesArguments(FileDescriptor.class))));
        }

        private static AsmVisitorWrapper dispatcher() {
            return Advice.to(Hooks.CloseAdvice.class).on(not(isAbstract()).and(not(isNative())).and(
                    named("close").and(takesArguments(FileDescriptor.class))
                            // preClose(fd) in JDK 17 up to 17.0.15 at least; preClose(fd, reader, writer) in later
                            // 17 updates; on 21+ NativeDispatcher.preClose is final and calls implPreClose.
                            .or(named("preClose").and(takesArguments(FileDescriptor.class)))
                            .or(named("preClose").or(named("implPreClose"))
                                    .and(takesArguments(FileDescriptor.class, long.class, long.class)))));
        }

        /**
         * The advice applied straight to a class reader and writer, as Byte Buddy's own type writer does for a
         * redefinition that only visits (the same bytes, up to the order of a class initializer's attributes),
         * without the builder around it: its DynamicType, TypeWriter and method registry machinery is about 240
         * more classes to load on a start that weaves.
         */
        static byte[] weave(String internalName, byte[] classfile) {
            AsmVisitorWrapper advice = advice(internalName);
            String name = internalName.replace('/', '.');
            ClassFileLocator locator = new ClassFileLocator.Compound(
                    ClassFileLocator.Simple.of(name, classfile), ClassFileLocator.ForClassLoader.ofBootLoader());
            TypePool pool = TypePool.Default.of(locator);
            TypeDescription type = pool.describe(name).resolve();
            int writerFlags = advice.mergeWriter(AsmVisitorWrapper.NO_FLAGS);
            int readerFlags = advice.mergeReader(AsmVisitorWrapper.NO_FLAGS);
            AsmClassReader reader = AsmClassReader.Factory.Default.IMPLICIT.make(classfile);
            // With the reader: unchanged methods are copied as they are. With the pool: frames, should they be
            // computed, resolve types without loading classes (this runs while a java.base class loads).
            AsmClassWriter writer = AsmClassWriter.Factory.Default.IMPLICIT.make(writerFlags, reader, pool);
            ClassFileVersion version = ClassFileVersion.ofClassFile(classfile);
            // Disabled: the advice may add no member (a retransformation could not), so no auxiliary type is named.
            Implementation.Context context = Implementation.Context.Disabled.Factory.INSTANCE.make(type,
                    new AuxiliaryType.NamingStrategy.Suffixing("auxiliary"), TypeInitializer.None.INSTANCE, version, version);
            reader.accept(advice.wrap(type, writer.getVisitor(), context, pool, type.getDeclaredFields(),
                    type.getDeclaredMethods(), writerFlags, readerFlags), readerFlags);
            return writer.getBinaryRepresentation();
        }
    }

    private final TransformCache cache;
    private final BooleanSupplier hooksInPlace;
    // The targets woven, at their load or a retransformation: those need no rescan. One left alone (the hooks
    // not in place in time) is woven by the rescan.
    private final Set<String> woven = ConcurrentHashMap.newKeySet();
    private volatile Throwable lastError;

    /** A transformer that always weaves with Byte Buddy. */
    public PortTransformer() {
        this(null);
    }

    /** @param cache where woven classes of earlier runs are kept, or null for none */
    public PortTransformer(TransformCache cache) {
        this(cache, Always.TRUE);
    }

    /**
     * @param hooksInPlace asked before each class is woven; it may put the hooks in place then (the woven
     *                     code calls them), and a class it says no to stays as it is
     */
    public PortTransformer(TransformCache cache, BooleanSupplier hooksInPlace) {
        this.cache = cache;
        this.hooksInPlace = hooksInPlace;
    }

    @Override
    public byte[] transform(Module module, ClassLoader loader, String className, Class<?> redefined,
                            ProtectionDomain domain, byte[] classfile) {
        if (loader != null || className == null) {
            return null;
        }
        if (!TARGETS.contains(className)) {
            return null;
        }
        try {
            // The cache is read before the question: a thread that loads the first socket class reads it while
            // the start thread puts the hooks in place, not after. Weaving waits for the answer: it loads the
            // advice classes, which name the hooks, before the boot loader would have them.
            byte[] bytes = cache == null ? null : cache.get(className, classfile);
            if (!hooksInPlace.getAsBoolean()) {
                return null;
            }
            if (bytes == null) {
                bytes = weave(className, classfile);
                if (cache != null) {
                    cache.put(className, classfile, bytes);
                }
            }
            woven.add(className);
            return bytes;
        } catch (Throwable t) {
            lastError = t;
            return null;
        }
    }

    /** Pure function of the class bytes: the unit of the transform test and of any cache. */
    public byte[] weave(String internalName, byte[] classfile) {
        Libraries.ensure();
        return Weaver.weave(internalName, classfile);
    }

    public Throwable lastError() {
        return lastError;
    }

    /** Whether this transformer has woven this target (an internal name) in this JVM. */
    public boolean wove(String internalName) {
        return woven.contains(internalName);
    }

    private enum Always implements BooleanSupplier {
        TRUE;

        @Override
        public boolean getAsBoolean() {
            return true;
        }
    }
}
