package dev.framecast.common;

/**
 * The verified identity of a call, as every service sees it: the tenant it acts for, the subject
 * (user or client) of its token, and whether it holds the admin role. The gateway makes it from a
 * verified token; the scheduler receives it from the gateway over its internal API.
 */
public record Caller(String tenant, String subject, boolean admin) {}
