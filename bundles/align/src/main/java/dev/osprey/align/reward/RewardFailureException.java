package dev.osprey.align.reward;

/**
 * A reward function threw, ran out of time, returned the wrong number of scores or a score that is not
 * finite; the message names the function and its bundle (symbolic name and version).
 */
public class RewardFailureException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String rewardName;

    public RewardFailureException(String rewardName, String message, Throwable cause) {
        super(message, cause);
        this.rewardName = rewardName;
    }

    /** The name of the reward function that failed. */
    public String rewardName() {
        return rewardName;
    }
}
