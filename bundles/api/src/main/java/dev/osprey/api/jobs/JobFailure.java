package dev.osprey.api.jobs;

/**
 * Why a job failed or was interrupted.
 *
 * @param message for the user, naming the bad option, file or row where the input was at fault
 * @param badInput true when the job's input was at fault (an option, the data), false for an error of the platform
 */
public record JobFailure(String message, boolean badInput) {}
