package dev.osprey.openai.impl;

/**
 * Runs the test server (a tiny random model) on the port it prints, with API key {@code args[0]}, until
 * killed: for client suites in other languages (distribution/itest/node-openai) without a distribution.
 */
public final class TestServerMain {

    private TestServerMain() {}

    public static void main(String[] args) throws Exception {
        TestServer server = new TestServer("tiny", name -> new TinySession("tiny", 3, 0));
        server.set("api_key", args.length > 0 ? args[0] : "");
        System.out.println(server.base);
        System.out.flush();
        Thread.currentThread().join();
    }
}
