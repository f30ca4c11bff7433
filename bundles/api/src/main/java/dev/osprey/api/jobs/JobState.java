package dev.osprey.api.jobs;

/** Where a job is in its life. */
public enum JobState {
    /** Waiting for its device. */
    QUEUED,
    RUNNING,
    /** Asked to stop: it saves a checkpoint and then stops. */
    CANCELLING,
    DONE,
    FAILED,
    CANCELLED,
    /** It was running when the process died; its last checkpoint can be resumed. */
    INTERRUPTED;

    /** True when nothing will change the job any more. */
    public boolean isFinal() {
        return this == DONE || this == FAILED || this == CANCELLED || this == INTERRUPTED;
    }
}
