package dev.osprey.openai.impl;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.inference.InferenceSession;

/**
 * Owns the session that serves requests now, and swaps it without failing a request: a new session is
 * opened first, new requests go to it, and the old one is closed once its last request in flight has
 * released its lease.
 */
final class SessionSwitch implements AutoCloseable {

    private static final Logger LOG = System.getLogger(SessionSwitch.class.getName());

    /** Opens a session on a backend found by name. */
    @FunctionalInterface
    interface Opener {
        /**
         * @return the session, and what to release when it is closed (the backend's handle)
         * @throws Exception naming the missing backend, model or program
         */
        Opened open(String backend, BackendOptions options) throws Exception;
    }

    /** A session and what it holds on to (e.g. the backend's extension handle). */
    record Opened(InferenceSession session, AutoCloseable resources) {}

    /** One opened session with its count of requests in flight. */
    static final class Active {
        final String backend;
        final InferenceSession session;
        private final AutoCloseable resources;
        private final AtomicInteger inFlight = new AtomicInteger();
        private volatile boolean retired;
        private final AtomicBoolean closed = new AtomicBoolean();

        Active(String backend, Opened opened) {
            this.backend = backend;
            this.session = opened.session();
            this.resources = opened.resources();
        }

        private void retire() {
            retired = true;
            if (inFlight.get() == 0) {
                closeOnce();
            }
        }

        private void release() {
            if (inFlight.decrementAndGet() == 0 && retired) {
                closeOnce();
            }
        }

        private void closeOnce() {
            if (closed.compareAndSet(false, true)) {
                // off the request thread: a backend may take long to free its model or stop its child process
                Thread t = new Thread(
                        () -> {
                            try {
                                session.close();
                            } catch (RuntimeException e) {
                                LOG.log(
                                        Level.WARNING,
                                        "closing the " + backend + " session failed: " + e.getMessage(),
                                        e);
                            }
                            try {
                                if (resources != null) {
                                    resources.close();
                                }
                            } catch (Exception e) {
                                LOG.log(
                                        Level.WARNING,
                                        "releasing the " + backend + " backend failed: " + e.getMessage(),
                                        e);
                            }
                        },
                        "osprey-openai-close-" + backend);
                t.setDaemon(true);
                t.start();
            }
        }

        boolean isClosed() {
            return closed.get();
        }
    }

    /** A request's hold on the session it started on; release it when the request is over. */
    static final class Lease implements AutoCloseable {
        final Active active;
        private final AtomicBoolean released = new AtomicBoolean();

        private Lease(Active active) {
            this.active = active;
        }

        InferenceSession session() {
            return active.session;
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                active.release();
            }
        }
    }

    private final Opener opener;
    private volatile Active current;
    private volatile String unavailableReason = "the server is starting: no backend session is open yet";

    SessionSwitch(Opener opener) {
        this.opener = opener;
    }

    /** Takes the current session for one request, or 503 when there is none. */
    Lease acquire() {
        while (true) {
            Active a = current;
            if (a == null) {
                throw ApiException.unavailable(unavailableReason);
            }
            a.inFlight.incrementAndGet();
            if (!a.retired) {
                return new Lease(a);
            }
            a.release(); // swapped meanwhile: take the new one
        }
    }

    /** The session now serving, if any (for listings and metrics, not for generating). */
    Optional<Active> current() {
        return Optional.ofNullable(current);
    }

    /**
     * Opens a session on {@code backend}, sends new requests to it, and retires the previous session
     * (closed when its requests in flight are done). When opening fails, the previous session stays.
     */
    synchronized Active open(String backend, BackendOptions options) throws Exception {
        Opened opened = opener.open(backend, options);
        Active next = new Active(backend, opened);
        Active previous = current;
        current = next;
        if (previous != null) {
            previous.retire();
        }
        return next;
    }

    /** Stops serving: new requests get 503 with {@code reason}; requests in flight finish first. */
    synchronized void retire(String reason) {
        unavailableReason = reason;
        Active previous = current;
        current = null;
        if (previous != null) {
            previous.retire();
        }
    }

    /** Why requests get 503 while no session is open. */
    String unavailableReason() {
        return unavailableReason;
    }

    /** Says why requests get 503 while no session is open (e.g. the model is still loading, or failed to). */
    void setUnavailableReason(String reason) {
        unavailableReason = reason;
    }

    @Override
    public void close() {
        retire("the server is shutting down");
    }
}
