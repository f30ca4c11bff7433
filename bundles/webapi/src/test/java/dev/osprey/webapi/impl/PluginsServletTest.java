package dev.osprey.webapi.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The upload's file name comes from the query string only, decoded, so a traversal in it reaches the checks. */
class PluginsServletTest {

    @Test
    void readsTheFileNameFromTheQueryString() {
        assertEquals("length-reward.jar", PluginsServlet.fileParameter("file=length-reward.jar"));
        assertEquals("../evil.jar", PluginsServlet.fileParameter("x=1&file=..%2Fevil.jar"));
        assertEquals("a b.jar", PluginsServlet.fileParameter("file=a+b.jar"));
        assertNull(PluginsServlet.fileParameter("files=x.jar"));
        assertNull(PluginsServlet.fileParameter(null));
    }
}
