package dev.osprey.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How models are looked up and downloaded.
 *
 * @param useHf use the Hugging Face hub and cache instead of ModelScope (the default, like ms-swift;
 *     {@code --use_hf} switches)
 * @param revision branch, tag or commit; {@code null} means the hub's default ({@code main} on
 *     Hugging Face, {@code master} on ModelScope)
 * @param hfEndpoint Hugging Face base URL (default {@value #DEFAULT_HF_ENDPOINT}, env {@code HF_ENDPOINT})
 * @param modelscopeEndpoint ModelScope base URL (default {@value #DEFAULT_MODELSCOPE_ENDPOINT}; env
 *     {@code MODELSCOPE_DOMAIN} gives a host, or a full URL)
 * @param token access token sent as {@code Authorization: Bearer}; {@code null} for none (env
 *     {@code HF_TOKEN} resp. {@code MODELSCOPE_API_TOKEN})
 * @param offline never touch the network (env {@code HF_HUB_OFFLINE=1})
 * @param hfCache the Hugging Face hub cache folder (the one holding {@code models--org--name})
 * @param modelscopeCache the ModelScope cache root ({@code MODELSCOPE_CACHE}, default
 *     {@code ~/.cache/modelscope/hub}); models live in its {@code models/{org}/{name}}
 * @param allowPatterns when not empty, only repository files matching one of these globs are
 *     downloaded ({@code fnmatch} semantics like huggingface_hub: {@code *} also matches {@code /};
 *     a pattern ending in {@code /} matches everything below that folder)
 * @param ignorePatterns repository files matching one of these globs are not downloaded
 */
public record HubOptions(
        boolean useHf,
        String revision,
        String hfEndpoint,
        String modelscopeEndpoint,
        String token,
        boolean offline,
        Path hfCache,
        Path modelscopeCache,
        List<String> allowPatterns,
        List<String> ignorePatterns) {

    public static final String DEFAULT_HF_ENDPOINT = "https://huggingface.co";
    public static final String DEFAULT_MODELSCOPE_ENDPOINT = "https://www.modelscope.cn";
    public static final String HF_DEFAULT_REVISION = "main";
    public static final String MODELSCOPE_DEFAULT_REVISION = "master";

    public HubOptions {
        hfEndpoint = endpoint(hfEndpoint, DEFAULT_HF_ENDPOINT);
        modelscopeEndpoint = endpoint(modelscopeEndpoint, DEFAULT_MODELSCOPE_ENDPOINT);
        revision = blankToNull(revision);
        token = blankToNull(token);
        Path home = Path.of(System.getProperty("user.home"));
        if (hfCache == null) {
            hfCache = home.resolve(".cache").resolve("huggingface").resolve("hub");
        }
        if (modelscopeCache == null) {
            modelscopeCache = home.resolve(".cache").resolve("modelscope").resolve("hub");
        }
        allowPatterns = allowPatterns == null ? List.of() : List.copyOf(allowPatterns);
        ignorePatterns = ignorePatterns == null ? List.of() : List.copyOf(ignorePatterns);
    }

    /** Options from the process environment and the user's home; ModelScope unless {@code useHf}. */
    public static HubOptions fromEnvironment(boolean useHf) {
        return fromEnvironment(useHf, System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * Options from the given environment: {@code HF_ENDPOINT}, {@code MODELSCOPE_DOMAIN},
     * {@code HF_TOKEN} (else the token file {@code HF_TOKEN_PATH} or {@code $HF_HOME/token}) resp.
     * {@code MODELSCOPE_API_TOKEN}, {@code HF_HUB_OFFLINE}, {@code HF_HUB_CACHE} (else
     * {@code HUGGINGFACE_HUB_CACHE}, {@code $HF_HOME/hub}, {@code $XDG_CACHE_HOME/huggingface/hub},
     * {@code ~/.cache/huggingface/hub}), {@code MODELSCOPE_CACHE} (else {@code ~/.cache/modelscope/hub}).
     */
    public static HubOptions fromEnvironment(boolean useHf, Map<String, String> env, Path home) {
        String hfEndpoint = blankToNull(env.get("HF_ENDPOINT"));
        String msDomain = blankToNull(env.get("MODELSCOPE_DOMAIN"));
        String msEndpoint = msDomain == null ? null : msDomain.contains("://") ? msDomain : "https://" + msDomain;
        Path hfHome = envPath(env, "HF_HOME", home);
        if (hfHome == null) {
            Path xdg = envPath(env, "XDG_CACHE_HOME", home);
            hfHome = (xdg != null ? xdg : home.resolve(".cache")).resolve("huggingface");
        }
        Path hfCache = envPath(env, "HF_HUB_CACHE", home);
        if (hfCache == null) {
            hfCache = envPath(env, "HUGGINGFACE_HUB_CACHE", home);
        }
        if (hfCache == null) {
            hfCache = hfHome.resolve("hub");
        }
        Path msCache = envPath(env, "MODELSCOPE_CACHE", home);
        if (msCache == null) {
            msCache = home.resolve(".cache").resolve("modelscope").resolve("hub");
        }
        String token;
        if (useHf) {
            token = blankToNull(env.get("HF_TOKEN"));
            if (token == null) {
                token = blankToNull(env.get("HUGGING_FACE_HUB_TOKEN"));
            }
            if (token == null) {
                Path tokenFile = envPath(env, "HF_TOKEN_PATH", home);
                token = readToken(tokenFile != null ? tokenFile : hfHome.resolve("token"));
            }
        } else {
            token = blankToNull(env.get("MODELSCOPE_API_TOKEN"));
        }
        return new HubOptions(
                useHf,
                null,
                hfEndpoint,
                msEndpoint,
                token,
                isTrue(env.get("HF_HUB_OFFLINE")),
                hfCache,
                msCache,
                List.of(),
                List.of());
    }

    /** {@code true} for 1, true, yes, on (any case), like huggingface_hub's boolean env parsing. */
    public static boolean isTrue(String value) {
        if (value == null) {
            return false;
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        return v.equals("1") || v.equals("true") || v.equals("yes") || v.equals("on");
    }

    /** The revision to use: {@link #revision()} or the hub's default branch. */
    public String effectiveRevision() {
        if (revision != null) {
            return revision;
        }
        return useHf ? HF_DEFAULT_REVISION : MODELSCOPE_DEFAULT_REVISION;
    }

    /** Whether a repository file passes {@link #allowPatterns()} and {@link #ignorePatterns()}. */
    public boolean accepts(String repoPath) {
        if (!allowPatterns.isEmpty()
                && allowPatterns.stream()
                        .noneMatch(p -> glob(p).matcher(repoPath).matches())) {
            return false;
        }
        return ignorePatterns.stream().noneMatch(p -> glob(p).matcher(repoPath).matches());
    }

    public HubOptions withUseHf(boolean newUseHf) {
        return new HubOptions(
                newUseHf,
                revision,
                hfEndpoint,
                modelscopeEndpoint,
                token,
                offline,
                hfCache,
                modelscopeCache,
                allowPatterns,
                ignorePatterns);
    }

    public HubOptions withRevision(String newRevision) {
        return new HubOptions(
                useHf,
                newRevision,
                hfEndpoint,
                modelscopeEndpoint,
                token,
                offline,
                hfCache,
                modelscopeCache,
                allowPatterns,
                ignorePatterns);
    }

    public HubOptions withToken(String newToken) {
        return new HubOptions(
                useHf,
                revision,
                hfEndpoint,
                modelscopeEndpoint,
                newToken,
                offline,
                hfCache,
                modelscopeCache,
                allowPatterns,
                ignorePatterns);
    }

    public HubOptions withOffline(boolean newOffline) {
        return new HubOptions(
                useHf,
                revision,
                hfEndpoint,
                modelscopeEndpoint,
                token,
                newOffline,
                hfCache,
                modelscopeCache,
                allowPatterns,
                ignorePatterns);
    }

    public HubOptions withEndpoints(String newHfEndpoint, String newModelscopeEndpoint) {
        return new HubOptions(
                useHf,
                revision,
                newHfEndpoint,
                newModelscopeEndpoint,
                token,
                offline,
                hfCache,
                modelscopeCache,
                allowPatterns,
                ignorePatterns);
    }

    public HubOptions withCaches(Path newHfCache, Path newModelscopeCache) {
        return new HubOptions(
                useHf,
                revision,
                hfEndpoint,
                modelscopeEndpoint,
                token,
                offline,
                newHfCache,
                newModelscopeCache,
                allowPatterns,
                ignorePatterns);
    }

    public HubOptions withPatterns(List<String> newAllow, List<String> newIgnore) {
        return new HubOptions(
                useHf,
                revision,
                hfEndpoint,
                modelscopeEndpoint,
                token,
                offline,
                hfCache,
                modelscopeCache,
                newAllow,
                newIgnore);
    }

    /** Hides the token. */
    @Override
    public String toString() {
        return "HubOptions[useHf=" + useHf + ", revision=" + revision + ", hfEndpoint=" + hfEndpoint
                + ", modelscopeEndpoint=" + modelscopeEndpoint + ", token=" + (token == null ? "none" : "***")
                + ", offline=" + offline + ", hfCache=" + hfCache + ", modelscopeCache=" + modelscopeCache
                + ", allowPatterns=" + allowPatterns + ", ignorePatterns=" + ignorePatterns + "]";
    }

    /** Python's fnmatch translated to a regex: {@code *} (also across {@code /}), {@code ?}, {@code [...]}. */
    static Pattern glob(String pattern) {
        String p = pattern.endsWith("/") ? pattern + "*" : pattern;
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '*') {
                re.append(".*");
            } else if (c == '?') {
                re.append('.');
            } else if (c == '[') {
                int j = i + 1;
                if (j < p.length() && p.charAt(j) == '!') {
                    j++;
                }
                if (j < p.length() && p.charAt(j) == ']') {
                    j++;
                }
                while (j < p.length() && p.charAt(j) != ']') {
                    j++;
                }
                if (j >= p.length()) {
                    re.append("\\[");
                } else {
                    String set = p.substring(i + 1, j).replace("\\", "\\\\");
                    if (set.startsWith("!")) {
                        set = "^" + set.substring(1);
                    } else if (set.startsWith("^")) {
                        set = "\\" + set;
                    }
                    re.append('[').append(set).append(']');
                    i = j;
                }
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    private static String endpoint(String value, String fallback) {
        String v = blankToNull(value);
        if (v == null) {
            return fallback;
        }
        while (v.endsWith("/")) {
            v = v.substring(0, v.length() - 1);
        }
        return v;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static Path envPath(Map<String, String> env, String name, Path home) {
        String v = blankToNull(env.get(name));
        if (v == null) {
            return null;
        }
        if (v.equals("~")) {
            return home;
        }
        if (v.startsWith("~/")) {
            return home.resolve(v.substring(2));
        }
        return Path.of(v);
    }

    private static String readToken(Path file) {
        try {
            return Files.isRegularFile(file) ? blankToNull(Files.readString(file, StandardCharsets.UTF_8)) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
