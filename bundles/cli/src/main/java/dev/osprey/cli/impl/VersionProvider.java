package dev.osprey.cli.impl;

import org.osgi.framework.FrameworkUtil;

import picocli.CommandLine.IVersionProvider;

/** The bundle version of the command line, which is the platform's version. */
public class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {
            "osprey " + FrameworkUtil.getBundle(VersionProvider.class).getVersion()
        };
    }
}
