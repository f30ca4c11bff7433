package dev.osprey.hub;

import java.nio.file.Path;

/**
 * What to push where, by ms-swift's names.
 *
 * @param repoId {@code --hub_model_id}, {@code owner/name}
 * @param folder the local folder whose files are uploaded (its layout kept)
 * @param privateRepo {@code --hub_private_repo}: a repository created by the push is private (an existing one keeps its
 *     visibility)
 * @param commitMessage {@code --commit_message} (ms-swift's default {@value #DEFAULT_COMMIT_MESSAGE})
 * @param revision the branch to commit to; null for the hub's default ({@code main} / {@code master})
 */
public record PushRequest(String repoId, Path folder, boolean privateRepo, String commitMessage, String revision) {

    public static final String DEFAULT_COMMIT_MESSAGE = "update files";

    public PushRequest {
        if (repoId == null || !repoId.matches("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException(
                    "--hub_model_id must be 'owner/name' (letters, digits, '.', '_', '-'), not '" + repoId + "'");
        }
        if (commitMessage == null || commitMessage.isBlank()) {
            commitMessage = DEFAULT_COMMIT_MESSAGE;
        }
    }
}
