import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Sets ACC_VARARGS on the agent's entry points in compiled classes; run by the build after compile, as a
 * single-file program: {@code java MarkVarargs.java CLASSES_DIR dev/portagent/Agent.class:premain,agentmain ...}.
 *
 * <p>Why: the JVM calls premain and agentmain by core reflection. From JDK 18, reflection calls a method
 * through method handles, and a JVM's first such call spins eight method-handle classes (7 ms of every
 * start with the agent on JDK 25); it calls a varargs method whose last parameter is not an array through
 * the JVM's native accessor instead (jdk.internal.reflect.MethodHandleAccessorFactory.useNativeAccessor).
 * javac cannot mark such a method (its last parameter is an Instrumentation); the class file may. The JVM,
 * the verifier and the JVM's lookup of the entry point by name and parameter types do not look at the flag;
 * on JDK 17, and if a JDK changes that rule, the call is what it was without it. javac refuses to compile
 * against such a class ("malformed variable arity method"): mark only classes no source names, as
 * {@code dev.portagent.Agent}, which only the JVM calls (so not the command line's Launcher-Agent-Class).
 *
 * <p>Fails (exit 1) when a named class or method is not there: the build must not ship without it silently.
 */
public final class MarkVarargs {

    private static final int ACC_VARARGS = 0x0080;

    public static void main(String[] args) throws IOException {
        Path classes = Path.of(args[0]);
        for (String target : List.of(args).subList(1, args.length)) {
            int colon = target.indexOf(':');
            Path file = classes.resolve(target.substring(0, colon));
            Set<String> methods = new HashSet<>(List.of(target.substring(colon + 1).split(",")));
            byte[] bytes = Files.readAllBytes(file);
            Set<String> marked = mark(bytes, methods);
            if (!marked.equals(methods)) {
                methods.removeAll(marked);
                System.err.println("MarkVarargs: " + file + " has no method " + methods);
                System.exit(1);
            }
            Files.write(file, bytes);
        }
    }

    /** Marks the named methods in place; returns the names it found. */
    static Set<String> mark(byte[] classFile, Set<String> names) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(classFile);
        if (in.getInt() != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        in.getInt(); // minor and major version
        int count = in.getShort() & 0xFFFF;
        String[] utf8 = new String[count];
        for (int i = 1; i < count; i++) {
            int tag = in.get();
            switch (tag) {
                case 1 -> {
                    int length = in.getShort() & 0xFFFF;
                    utf8[i] = new DataInputStream(new ByteArrayInputStream(classFile, in.position() - 2, length + 2)).readUTF();
                    in.position(in.position() + length);
                }
                case 7, 8, 16, 19, 20 -> in.position(in.position() + 2);
                case 15 -> in.position(in.position() + 3);
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.position(in.position() + 4);
                case 5, 6 -> {
                    in.position(in.position() + 8);
                    i++; // a long or a double takes two entries
                }
                default -> throw new IOException("constant pool tag " + tag);
            }
        }
        in.position(in.position() + 6); // access flags, this class, super class
        int interfaces = in.getShort() & 0xFFFF;
        in.position(in.position() + 2 * interfaces);
        walkMembers(in, null, utf8, names, null);
        Set<String> found = new HashSet<>();
        walkMembers(in, classFile, utf8, names, found);
        return found;
    }

    /** Walks the fields or, with {@code found}, the methods, marking those named. */
    private static void walkMembers(ByteBuffer in, byte[] classFile, String[] utf8, Set<String> names, Set<String> found) {
        int members = in.getShort() & 0xFFFF;
        for (int m = 0; m < members; m++) {
            int flagsAt = in.position();
            int flags = in.getShort() & 0xFFFF;
            String name = utf8[in.getShort() & 0xFFFF];
            in.getShort(); // descriptor
            if (found != null && names.contains(name)) {
                flags |= ACC_VARARGS;
                classFile[flagsAt] = (byte) (flags >>> 8);
                classFile[flagsAt + 1] = (byte) flags;
                found.add(name);
            }
            int attributes = in.getShort() & 0xFFFF;
            for (int a = 0; a < attributes; a++) {
                in.getShort(); // name
                int length = in.getInt();
                in.position(in.position() + length);
            }
        }
    }
}
