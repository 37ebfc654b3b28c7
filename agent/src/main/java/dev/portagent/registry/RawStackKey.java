package dev.portagent.registry;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The identity of a raw stack, read from the JVM's backtrace of the Throwable taken on the socket
 * path, so that the digester recognises a call path it has resolved before without building its
 * StackTraceElements: {@link Throwable#getStackTrace()} costs microseconds per socket on a core the
 * application may need; this is a walk over a few small arrays.
 *
 * <p>The backtrace is HotSpot's private record of the frames (Throwable.backtrace, JDK 17 to 25), not
 * an API. Per 32 frames it holds the method ids (short[]), bytecode indexes merged with the class
 * version (int[]), the classes (Object[]) and the method names (long[]), then the next chunk, and a
 * marker (null, or the chunk's short[]) for a hidden top frame; JDK 25 adds one slot, always null.
 * That is all the frames are made from: equal backtraces give equal frames. This relies on no slot's
 * position: arrays of numbers are compared by content, arrays of classes by identity, other arrays are
 * followed as chunks, and anything else makes the stack one to resolve frame by frame, as without keys.
 * A kept key holds its classes weakly: a remembered call path must not keep an undeployed
 * application's class loader alive.
 */
final class RawStackKey {

    // Past this many parts (16 chunks of 32 frames on JDK 25, 19 on 17) a stack is resolved frame by
    // frame every time: a kept key holds about a kilobyte per chunk.
    static final int MAX_PARTS = 96;

    // A probe reads the JVM's arrays in place: the digester probes every socket's stack, and copies
    // out parts (classes held weakly) only for a call path it has not seen.
    private final Object backtrace;
    private final Object[] parts;
    private final int hash;

    private RawStackKey(Object backtrace, Object[] parts, int hash) {
        this.backtrace = backtrace;
        this.parts = parts;
        this.hash = hash;
    }

    /** A key for looking up; null when there is no backtrace, or one of a shape this does not know. */
    static RawStackKey probe(Object backtrace) {
        if (countParts(backtrace, 0, 0) <= 0) {
            return null;
        }
        return new RawStackKey(backtrace, null, hash(backtrace, 1));
    }

    /** The same key for keeping: its parts copied out, classes held weakly and reported to {@code unloaded}. */
    RawStackKey stored(ReferenceQueue<Class<?>> unloaded) {
        List<Object> kept = new ArrayList<>();
        flatten(backtrace, kept, unloaded);
        return new RawStackKey(null, kept.toArray(), hash);
    }

    /** Whether a class of this kept key was unloaded: it can match no stack any more. */
    boolean dead() {
        for (Object part : parts) {
            if (part instanceof WeakClass[]) {
                for (WeakClass c : (WeakClass[]) part) {
                    if (c != null && c.get() == null) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    // The parts in the order a walk meets them, or -1: past MAX_PARTS, or an element of another kind.
    private static int countParts(Object node, int count, int depth) {
        if (!(node instanceof Object[]) || depth > MAX_PARTS) {
            return -1;
        }
        for (Object element : (Object[]) node) {
            if (isChunk(element)) {
                count = countParts(element, count, depth + 1);
                if (count < 0) {
                    return -1;
                }
            } else if (element == null || element instanceof Object[] || isNumbers(element)) {
                count++;
            } else {
                return -1;
            }
            if (count > MAX_PARTS) {
                return -1;
            }
        }
        return count;
    }

    private static boolean isNumbers(Object o) {
        return o instanceof short[] || o instanceof int[] || o instanceof long[] || o instanceof byte[];
    }

    // An array holding anything but classes is a chunk; one of classes and nulls (or only nulls) a part.
    private static boolean isChunk(Object o) {
        if (!(o instanceof Object[])) {
            return false;
        }
        for (Object element : (Object[]) o) {
            if (element != null && !(element instanceof Class)) {
                return true;
            }
        }
        return false;
    }

    private static int hash(Object node, int hash) {
        for (Object element : (Object[]) node) {
            hash = isChunk(element) ? hash(element, hash) : 31 * hash + hashOf(element);
        }
        return hash;
    }

    private static int hashOf(Object part) {
        if (part instanceof short[]) {
            return Arrays.hashCode((short[]) part);
        } else if (part instanceof int[]) {
            return Arrays.hashCode((int[]) part);
        } else if (part instanceof long[]) {
            return Arrays.hashCode((long[]) part);
        } else if (part instanceof byte[]) {
            return Arrays.hashCode((byte[]) part);
        } else if (part instanceof Object[]) {
            int h = 1;
            for (Object c : (Object[]) part) {
                h = 31 * h + System.identityHashCode(c);
            }
            return h;
        }
        return 0;
    }

    // Arrays of numbers are kept as they are: the JVM fills them once, when the Throwable is made.
    private static void flatten(Object node, List<Object> parts, ReferenceQueue<Class<?>> unloaded) {
        for (Object element : (Object[]) node) {
            if (isChunk(element)) {
                flatten(element, parts, unloaded);
            } else if (element instanceof Object[]) {
                Object[] classes = (Object[]) element;
                WeakClass[] weak = new WeakClass[classes.length];
                for (int i = 0; i < classes.length; i++) {
                    // Frames in a row of one class (a recursion, a chain of JDK calls) share a reference.
                    weak[i] = classes[i] == null ? null : i > 0 && classes[i] == classes[i - 1] ? weak[i - 1]
                            : new WeakClass((Class<?>) classes[i], unloaded);
                }
                parts.add(weak);
            } else {
                parts.add(element);
            }
        }
    }

    // Compares a backtrace, read in place, with kept parts from index on: the index after them, or -1.
    private static int compare(Object node, Object[] parts, int index) {
        for (Object element : (Object[]) node) {
            if (isChunk(element)) {
                index = compare(element, parts, index);
                if (index < 0) {
                    return -1;
                }
            } else if (index >= parts.length || !samePart(element, parts[index++])) {
                return -1;
            }
        }
        return index;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RawStackKey) || ((RawStackKey) o).hash != hash) {
            return false;
        }
        RawStackKey other = (RawStackKey) o;
        if (backtrace != null && other.parts != null) {
            return compare(backtrace, other.parts, 0) == other.parts.length;
        } else if (parts != null && other.backtrace != null) {
            return compare(other.backtrace, parts, 0) == parts.length;
        } else if (parts != null && other.parts != null) {
            if (parts.length != other.parts.length) {
                return false;
            }
            for (int i = 0; i < parts.length; i++) {
                if (!samePart(parts[i], other.parts[i])) {
                    return false;
                }
            }
            return true;
        }
        // Two probes: only tests compare those.
        return equals(other.stored(new ReferenceQueue<>()));
    }

    private static boolean samePart(Object a, Object b) {
        if (a instanceof short[] && b instanceof short[]) {
            return Arrays.equals((short[]) a, (short[]) b);
        } else if (a instanceof int[] && b instanceof int[]) {
            return Arrays.equals((int[]) a, (int[]) b);
        } else if (a instanceof long[] && b instanceof long[]) {
            return Arrays.equals((long[]) a, (long[]) b);
        } else if (a instanceof byte[] && b instanceof byte[]) {
            return Arrays.equals((byte[]) a, (byte[]) b);
        } else if (a instanceof Object[] && b instanceof Object[]) {
            Object[] x = (Object[]) a;
            Object[] y = (Object[]) b;
            if (x.length != y.length) {
                return false;
            }
            for (int i = 0; i < x.length; i++) {
                if ((x[i] == null) != (y[i] == null) || classOf(x[i]) != classOf(y[i])) {
                    return false;
                }
            }
            return true;
        }
        return a == null && b == null;
    }

    // An unloaded class answers null, which matches no live class.
    private static Class<?> classOf(Object o) {
        return o instanceof WeakClass ? ((WeakClass) o).get() : (Class<?>) o;
    }

    private static final class WeakClass extends WeakReference<Class<?>> {
        WeakClass(Class<?> c, ReferenceQueue<Class<?>> unloaded) {
            super(c, unloaded);
        }
    }
}
