package dev.osprey.hub;

/**
 * What a push did.
 *
 * @param repoId the repository
 * @param url the repository's page (or the commit's, when the hub says)
 * @param commit the commit made, or null when the hub does not say (ModelScope)
 * @param files files in the commit
 * @param lfsFiles of them, stored through LFS (the rest went inline, base64, in the commit)
 * @param lfsAlreadyThere LFS objects the hub already had, so nothing was sent for them
 * @param bytesSent bytes of LFS content sent in this call (parts of an earlier interrupted call not counted)
 */
public record PushResult(
        String repoId, String url, String commit, int files, int lfsFiles, int lfsAlreadyThere, long bytesSent) {}
