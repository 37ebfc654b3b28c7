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
import java.util.Map;
import java.util.function.Supplier;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.scaffold.InstrumentedType;
import net.bytebuddy.dynamic.scaffold.MethodGraph;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.dynamic.VisibilityBridgeStrategy;
import net.bytebuddy.implementation.Implementation;
import net.bytebuddy.pool.TypePool;

/**
 * Weaves {@link Hooks} into the handful of java.base classes through which every INET socket passes.
 * It is a plain transformer keyed by class name rather than an AgentBuilder: it looks at nothing but
 * these names, so the application's own classes never pay for a matcher.
 */
public final class PortTransformer implements ClassFileTransformer {

    /** Internal names of the classes this transformer changes, with the advice each receives. */
    static final Map<String, Supplier<AsmVisitorWrapper>> TARGETS = Map.of(
            "sun/nio/ch/Net", PortTransformer::net,
            "sun/nio/ch/NioSocketImpl", () -> Advice.to(Hooks.NioSocketImplAcceptAdvice.class)
                    .on(named("accept").and(takesArguments(1))),
            "sun/nio/ch/SocketChannelImpl", () -> Advice.to(Hooks.SocketChannelAcceptedAdvice.class)
                    .on(isConstructor().and(takesArguments(4)).and(takesArgument(2, FileDescriptor.class))
                            .and(takesArgument(3, SocketAddress.class))),
            "sun/nio/ch/UnixAsynchronousSocketChannelImpl", () -> Advice.to(Hooks.AsyncAcceptedAdvice.class)
                    .on(isConstructor().and(takesArguments(3)).and(takesArgument(1, FileDescriptor.class))
                            .and(takesArgument(2, InetSocketAddress.class))),
            "sun/nio/ch/DatagramChannelImpl", () -> Advice.to(Hooks.DatagramDisconnectAdvice.class)
                    .on(named("disconnect").and(takesArguments(0))),
            "sun/nio/ch/SocketDispatcher", PortTransformer::dispatcher,
            "sun/nio/ch/DatagramDispatcher", PortTransformer::dispatcher,
            "sun/nio/ch/UnixDispatcher", PortTransformer::dispatcher);

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
                        .and(takesArguments(ProtocolFamily.class, FileDescriptor.class, InetAddress.class, int.class))));
    }

    private static AsmVisitorWrapper dispatcher() {
        return Advice.to(Hooks.CloseAdvice.class).on(not(isAbstract()).and(not(isNative())).and(
                named("close").and(takesArguments(FileDescriptor.class))
                        // preClose on 17; on 21+ NativeDispatcher.preClose is final and calls implPreClose.
                        .or(named("preClose").or(named("implPreClose"))
                                .and(takesArguments(FileDescriptor.class, long.class, long.class)))));
    }

    private final ByteBuddy byteBuddy = new ByteBuddy()
            .with(TypeValidation.DISABLED)
            // Retransformation may not add members: keep the class shape exactly as it was.
            .with(InstrumentedType.Factory.Default.FROZEN)
            .with(VisibilityBridgeStrategy.Default.NEVER)
            .with(Implementation.Context.Disabled.Factory.INSTANCE)
            // Only the declared methods are matched; resolving the whole hierarchy would load more classes.
            .with(MethodGraph.Compiler.ForDeclaredMethods.INSTANCE);

    private volatile Throwable lastError;

    @Override
    public byte[] transform(Module module, ClassLoader loader, String className, Class<?> redefined,
                            ProtectionDomain domain, byte[] classfile) {
        if (loader != null || className == null) {
            return null;
        }
        Supplier<AsmVisitorWrapper> advice = TARGETS.get(className);
        if (advice == null) {
            return null;
        }
        try {
            return weave(className, classfile, advice.get());
        } catch (Throwable t) {
            lastError = t;
            return null;
        }
    }

    /** Pure function of the class bytes: the unit of the transform test and of any cache. */
    public byte[] weave(String internalName, byte[] classfile) {
        Supplier<AsmVisitorWrapper> advice = TARGETS.get(internalName);
        if (advice == null) {
            throw new IllegalArgumentException("not a portagent target: " + internalName);
        }
        return weave(internalName, classfile, advice.get());
    }

    private byte[] weave(String internalName, byte[] classfile, AsmVisitorWrapper advice) {
        String name = internalName.replace('/', '.');
        ClassFileLocator locator = new ClassFileLocator.Compound(
                ClassFileLocator.Simple.of(name, classfile), ClassFileLocator.ForClassLoader.ofBootLoader());
        TypePool pool = TypePool.Default.of(locator);
        return byteBuddy.redefine(pool.describe(name).resolve(), locator)
                .visit(advice)
                .make()
                .getBytes();
    }

    public Throwable lastError() {
        return lastError;
    }
}
