package dev.osprey.hub;

import java.util.List;

/**
 * The files of a hub repository at one revision.
 *
 * @param repoId the model id, {@code org/name}
 * @param revision the revision asked for (branch, tag or commit)
 * @param commit the commit the revision resolved to, or {@code null} when the hub does not say
 *     (ModelScope's listing)
 * @param files every file of the repository (folders excluded), before any allow/ignore filtering
 */
public record RepoListing(String repoId, String revision, String commit, List<RemoteFile> files) {

    public RepoListing {
        files = List.copyOf(files);
    }
}
