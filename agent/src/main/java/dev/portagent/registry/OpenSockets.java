package dev.portagent.registry;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The registry's open sockets by {@link FileDescriptor} object, in a slot per fd number. Every socket
 * path passes here two to four times. Keyed in a {@code ConcurrentHashMap} by the object's identity, a new
 * socket first paid for its identity hash (a CAS into the object's header) and each update for a lock of
 * its bin; a slot costs a CAS per update and no hash.
 *
 * <p>The number of a socket's fd does not change while it is open, and the close of JDK 17 and 25
 * leaves it in the object (a key that has lost it is looked for in every slot). The kernel hands a
 * closed number out again at once, before the old socket's close hook has run: a newer socket whose
 * slot is still held goes to {@code reused}, and stays there until removed, as does every key in the
 * one place it was put. Keys without a number (the Reconciler's), or past the last slot, live in
 * {@code others}. The socket path looks in {@code reused} only while it holds something (then, like
 * every socket before, at the price of an identity hash), and in {@code others} only for a key without
 * a number.
 *
 * <p>One socket's puts do not race each other (its hooks run on the threads that use it, which the JDK
 * serialises); removes and replaces may come from any thread.
 */
final class OpenSockets {

    private static final int CHUNK_BITS = 10;
    private static final int CHUNK = 1 << CHUNK_BITS;
    // 1024 chunks of 1024: fd numbers below 2^20 have a slot; a chunk is made at the first number in it.
    private static final int CHUNKS = 1024;

    static final class Entry {
        private static final VarHandle VALUE;

        static {
            try {
                VALUE = MethodHandles.lookup().findVarHandle(Entry.class, "value", Object.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final FileDescriptor key;
        // Null once removed: the slot is then free for the next socket of that number.
        volatile Object value;

        Entry(FileDescriptor key, Object value) {
            this.key = key;
            // A plain store: the slot's compare-and-set publishes the entry; a volatile one would add a fence.
            VALUE.set(this, value);
        }

        boolean change(Object expected, Object to) {
            return VALUE.compareAndSet(this, expected, to);
        }
    }

    private final AtomicReferenceArray<AtomicReferenceArray<Entry>> chunks = new AtomicReferenceArray<>(CHUNKS);
    private final Map<FileDescriptor, Object> reused = new ConcurrentHashMap<>();
    private final Map<FileDescriptor, Object> others = new ConcurrentHashMap<>();
    private volatile JdkSockets numbers;

    /**
     * From now on keys are found by their numbers. Only while nothing is in here: a key put before would
     * not be looked for where it is.
     */
    void numberWith(JdkSockets n) {
        if (numbers == null && others.isEmpty()) {
            numbers = n;
        }
    }

    private int number(FileDescriptor key) {
        JdkSockets n = numbers;
        if (n == null) {
            return -1;
        }
        int number = n.fdVal(key);
        return number < CHUNKS * CHUNK ? number : -1;
    }

    // A chunk's slots, in an order that puts consecutive fd numbers 64 slots (a few cache lines) apart: the
    // sockets the threads use at one time have neighbouring numbers, and each update of one slot would
    // otherwise take the line that its neighbours' threads read on every hook from their CPUs. Number n and
    // n + 16 share a line.
    private static final int SPREAD_BITS = 4;

    static int slot(int number) {
        int low = number & (CHUNK - 1);
        return ((low & ((1 << SPREAD_BITS) - 1)) << (CHUNK_BITS - SPREAD_BITS)) | (low >>> SPREAD_BITS);
    }

    private AtomicReferenceArray<Entry> chunk(int number, boolean make) {
        int c = number >>> CHUNK_BITS;
        AtomicReferenceArray<Entry> chunk = chunks.get(c);
        if (chunk == null && make) {
            chunks.compareAndSet(c, null, new AtomicReferenceArray<>(CHUNK));
            chunk = chunks.get(c);
        }
        return chunk;
    }

    /** The entry of {@code key} in its slot, or null when the slot holds another key's, or none. */
    private Entry entry(FileDescriptor key, int number) {
        AtomicReferenceArray<Entry> chunk = chunk(number, false);
        Entry e = chunk == null ? null : chunk.get(slot(number));
        return e != null && e.key == key ? e : null;
    }

    Object get(FileDescriptor key) {
        int number = number(key);
        if (number < 0) {
            return others.get(key);
        }
        Entry e = entry(key, number);
        if (e != null) {
            return e.value;
        }
        return reused.isEmpty() ? null : reused.get(key);
    }

    Object put(FileDescriptor key, Object value) {
        return put(key, value, false);
    }

    Object putIfAbsent(FileDescriptor key, Object value) {
        return put(key, value, true);
    }

    private Object put(FileDescriptor key, Object value, boolean onlyIfAbsent) {
        int number = number(key);
        if (number < 0) {
            return onlyIfAbsent ? others.putIfAbsent(key, value) : others.put(key, value);
        }
        AtomicReferenceArray<Entry> chunk = chunk(number, true);
        int i = slot(number);
        for (; ; ) {
            Entry e = chunk.get(i);
            if (e != null && e.key == key) {
                Object old = e.value;
                if (old == null) {
                    // Removed a moment ago, its entry still in the slot: the key's new life starts in a new entry.
                    if (chunk.compareAndSet(i, e, new Entry(key, value))) {
                        return null;
                    }
                } else if (onlyIfAbsent || e.change(old, value)) {
                    return old;
                }
                continue;
            }
            if (!reused.isEmpty() && reused.containsKey(key)) {
                return onlyIfAbsent ? reused.putIfAbsent(key, value) : reused.put(key, value);
            }
            if (e == null || e.value == null) {
                if (chunk.compareAndSet(i, e, new Entry(key, value))) {
                    return null;
                }
                continue;
            }
            // The slot is another socket's, closed by the kernel but not yet by its hook.
            return onlyIfAbsent ? reused.putIfAbsent(key, value) : reused.put(key, value);
        }
    }

    boolean replace(FileDescriptor key, Object expected, Object value) {
        int number = number(key);
        if (number < 0) {
            return others.replace(key, expected, value);
        }
        Entry e = entry(key, number);
        if (e != null) {
            return e.change(expected, value);
        }
        return !reused.isEmpty() && reused.replace(key, expected, value);
    }

    Object remove(FileDescriptor key) {
        int number = number(key);
        if (number < 0) {
            Object v = others.remove(key);
            return v != null || numbers == null ? v : removeFromAnySlot(key);
        }
        Entry e = entry(key, number);
        if (e == null) {
            return reused.isEmpty() ? null : reused.remove(key);
        }
        for (; ; ) {
            Object old = e.value;
            if (old == null) {
                return null;
            }
            if (e.change(old, null)) {
                chunk(number, false).compareAndSet(slot(number), e, null);
                return old;
            }
        }
    }

    // A key whose number is gone: the JDKs this runs on keep it after a close, but another might not.
    private Object removeFromAnySlot(FileDescriptor key) {
        for (int c = 0; c < CHUNKS; c++) {
            AtomicReferenceArray<Entry> chunk = chunks.get(c);
            for (int i = 0; chunk != null && i < CHUNK; i++) {
                Entry e = chunk.get(i);
                if (e != null && e.key == key) {
                    for (Object old; (old = e.value) != null; ) {
                        if (e.change(old, null)) {
                            chunk.compareAndSet(i, e, null);
                            return old;
                        }
                    }
                    return null;
                }
            }
        }
        return reused.isEmpty() ? null : reused.remove(key);
    }

    /** What is open now, weakly consistent as a {@code ConcurrentHashMap}'s iteration is; by fd number first. */
    List<Map.Entry<FileDescriptor, Object>> entries() {
        List<Map.Entry<FileDescriptor, Object>> entries = new ArrayList<>();
        for (int c = 0; c < CHUNKS; c++) {
            AtomicReferenceArray<Entry> chunk = chunks.get(c);
            for (int n = 0; chunk != null && n < CHUNK; n++) {
                Entry e = chunk.get(slot(n));
                Object v = e == null ? null : e.value;
                if (v != null) {
                    entries.add(new AbstractMap.SimpleImmutableEntry<>(e.key, v));
                }
            }
        }
        entries.addAll(reused.entrySet());
        entries.addAll(others.entrySet());
        return entries;
    }
}
