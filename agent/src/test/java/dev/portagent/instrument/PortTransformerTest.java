package dev.portagent.instrument;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.VisibilityBridgeStrategy;
import net.bytebuddy.dynamic.scaffold.InstrumentedType;
import net.bytebuddy.dynamic.scaffold.MethodGraph;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.implementation.Implementation;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.FieldVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.pool.TypePool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The transform as a pure function of the running JDK's class bytes: no agent, no JVM hooks. */
class PortTransformerTest {

    private final PortTransformer transformer = new PortTransformer();

    static List<Arguments> targets() {
        List<Arguments> cases = new ArrayList<>();
        // Which hooks each class must receive on this JDK; classes absent from this JDK are skipped.
        cases.add(Arguments.of("sun/nio/ch/Net", List.of("created", "bound", "connected", "localAddress")));
        cases.add(Arguments.of("sun/nio/ch/NioSocketImpl", List.of("acceptedImpl")));
        cases.add(Arguments.of("sun/nio/ch/SocketChannelImpl", List.of("accepted")));
        cases.add(Arguments.of("sun/nio/ch/UnixAsynchronousSocketChannelImpl", List.of("accepted")));
        cases.add(Arguments.of("sun/nio/ch/DatagramChannelImpl", List.of("disconnected", "udpBindStarts", "udpBound")));
        cases.add(Arguments.of(Runtime.version().feature() >= 21 ? "sun/nio/ch/UnixDispatcher" : "sun/nio/ch/SocketDispatcher",
                List.of("closed")));
        if (Runtime.version().feature() < 21) {
            cases.add(Arguments.of("sun/nio/ch/DatagramDispatcher", List.of("closed")));
        }
        return cases;
    }

    @ParameterizedTest
    @MethodSource("targets")
    void weavesTheHooksIntoTheJdkClass(String internalName, List<String> hooks) throws IOException {
        byte[] original = jdkClass(internalName);

        byte[] woven = transformer.weave(internalName, original);

        assertThat(hookCalls(woven)).containsAll(hooks);
        assertThat(hookCalls(original)).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("targets")
    void keepsTheClassShapeSoThatRetransformationIsAllowed(String internalName, List<String> hooks) throws IOException {
        byte[] original = jdkClass(internalName);

        byte[] woven = transformer.weave(internalName, original);

        assertThat(members(woven)).isEqualTo(members(original));
    }

    /**
     * The transform applies the advice straight to a class reader and writer (optimisation 22 in BENCHMARKS.md);
     * what it makes must be what Byte Buddy's redefinition builder made with the same advice, the way the agent
     * wove before, up to the order in which ASM is handed a method's attributes: both are written again by a
     * plain ASM writer before they are compared.
     */
    @ParameterizedTest
    @MethodSource("targets")
    void weavesWhatByteBuddysRedefinitionWeaves(String internalName, List<String> hooks) throws IOException {
        byte[] original = jdkClass(internalName);
        String name = internalName.replace('/', '.');
        ClassFileLocator locator = new ClassFileLocator.Compound(
                ClassFileLocator.Simple.of(name, original), ClassFileLocator.ForClassLoader.ofBootLoader());
        byte[] byBuilder = new ByteBuddy()
                .with(TypeValidation.DISABLED)
                .with(InstrumentedType.Factory.Default.FROZEN)
                .with(VisibilityBridgeStrategy.Default.NEVER)
                .with(Implementation.Context.Disabled.Factory.INSTANCE)
                .with(MethodGraph.Compiler.ForDeclaredMethods.INSTANCE)
                .redefine(TypePool.Default.of(locator).describe(name).resolve(), locator)
                .visit(PortTransformer.Weaver.advice(internalName))
                .make()
                .getBytes();

        byte[] woven = transformer.weave(internalName, original);

        assertThat(rewritten(woven)).isEqualTo(rewritten(byBuilder));
    }

    private static byte[] rewritten(byte[] classfile) {
        ClassWriter writer = new ClassWriter(0);
        new ClassReader(classfile).accept(writer, 0);
        return writer.toByteArray();
    }

    /**
     * Every way a dispatcher releases a socket's fd, or dup2s a placeholder over it while another thread is
     * blocked in I/O, must tell the hooks, whatever its signature in this JDK's update: Debian's 17.0.15 has
     * preClose(fd) in SocketDispatcher and DatagramDispatcher, later 17 updates preClose(fd, reader, writer),
     * 21+ implPreClose(fd, reader, writer) in UnixDispatcher, their common superclass.
     */
    @Test
    void everyCloseAndPreCloseOfADispatcherTellsTheHooks() throws IOException {
        Map<String, Boolean> closers = new TreeMap<>();
        for (String internalName : List.of("sun/nio/ch/SocketDispatcher", "sun/nio/ch/DatagramDispatcher",
                "sun/nio/ch/UnixDispatcher")) {
            if (ClassLoader.getSystemResource(internalName + ".class") == null) {
                continue; // UnixDispatcher is 21+
            }
            new ClassReader(transformer.weave(internalName, jdkClass(internalName))).accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                                 String[] exceptions) {
                    if ((access & (Opcodes.ACC_ABSTRACT | Opcodes.ACC_NATIVE)) != 0
                            || !name.matches("close|preClose|implPreClose")
                            || !descriptor.startsWith("(Ljava/io/FileDescriptor;")) {
                        return null;
                    }
                    String method = internalName + "." + name + descriptor;
                    closers.put(method, false);
                    return new MethodVisitor(Opcodes.ASM9) {
                        @Override
                        public void visitMethodInsn(int opcode, String owner, String called, String desc, boolean itf) {
                            if (owner.equals("dev/portagent/bootstrap/PortHooks") && called.equals("closed")) {
                                closers.put(method, true);
                            }
                        }
                    };
                }
            }, 0);
        }

        assertThat(closers).as("close and preClose methods of the dispatchers, and whether each calls the hook")
                .containsKey(Runtime.version().feature() >= 21 ? "sun/nio/ch/UnixDispatcher.close(Ljava/io/FileDescriptor;)V"
                        : "sun/nio/ch/SocketDispatcher.close(Ljava/io/FileDescriptor;)V")
                .doesNotContainValue(false);
    }

    @Test
    void weavingIsDeterministic() throws IOException {
        byte[] original = jdkClass("sun/nio/ch/Net");

        assertThat(transformer.weave("sun/nio/ch/Net", original))
                .isEqualTo(new PortTransformer().weave("sun/nio/ch/Net", original));
    }

    @Test
    void leavesEveryOtherClassAlone() throws IOException {
        byte[] bytes = jdkClass("java/net/Socket");

        assertThat(transformer.transform(Object.class.getModule(), null, "java/net/Socket", null, null, bytes)).isNull();
        assertThat(transformer.transform(null, getClass().getClassLoader(), "sun/nio/ch/Net", null, null,
                jdkClass("sun/nio/ch/Net"))).as("only the boot loader's copy is the JDK's").isNull();
    }

    /**
     * premain adds the transformer before the hooks exist (the installation is made at the first socket
     * class): a class is woven only once the installation says they are in place, and one it says no to
     * (it failed, or another load of the agent has the hooks) is left as it is.
     */
    @Test
    void asksForTheHooksBeforeItWeavesAndLeavesTheClassAloneWithout() throws IOException {
        byte[] net = jdkClass("sun/nio/ch/Net");
        List<String> asked = new ArrayList<>();
        boolean[] inPlace = {false};
        PortTransformer lazy = new PortTransformer(null, () -> {
            asked.add("asked");
            return inPlace[0];
        });

        assertThat(lazy.transform(null, getClass().getClassLoader(), "java/lang/Object", null, null, net)).isNull();
        assertThat(lazy.transform(null, null, "java/net/Socket", null, null, jdkClass("java/net/Socket"))).isNull();
        assertThat(asked).as("no question for a class it does not weave").isEmpty();

        assertThat(lazy.transform(null, null, "sun/nio/ch/Net", null, null, net)).isNull();
        assertThat(lazy.wove("sun/nio/ch/Net")).as("left alone: the rescan weaves it").isFalse();

        inPlace[0] = true;
        assertThat(hookCalls(lazy.transform(null, null, "sun/nio/ch/Net", null, null, net)))
                .contains("created", "bound", "connected");
        assertThat(asked).hasSize(2);
        assertThat(lazy.wove("sun/nio/ch/Net")).isTrue();
        assertThat(lazy.wove("sun/nio/ch/DatagramChannelImpl")).as("a target never loaded").isFalse();
    }

    static byte[] jdkClass(String internalName) throws IOException {
        try (InputStream in = ClassLoader.getSystemResourceAsStream(internalName + ".class")) {
            assertThat(in).as(internalName + " in this JDK").isNotNull();
            return in.readAllBytes();
        }
    }

    private static List<String> hookCalls(byte[] classfile) {
        List<String> calls = new ArrayList<>();
        new ClassReader(classfile).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String method, String desc, boolean itf) {
                        if (owner.equals("dev/portagent/bootstrap/PortHooks")) {
                            calls.add(method);
                        }
                    }
                };
            }
        }, 0);
        return calls;
    }

    private static Map<String, Integer> members(byte[] classfile) {
        Map<String, Integer> members = new TreeMap<>();
        new ClassReader(classfile).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public FieldVisitor visitField(int access, String name, String descriptor, String signature, Object value) {
                members.put("field " + name + descriptor, access);
                return null;
            }

            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
                members.put("method " + name + descriptor, access);
                return null;
            }
        }, ClassReader.SKIP_CODE);
        return members;
    }
}
