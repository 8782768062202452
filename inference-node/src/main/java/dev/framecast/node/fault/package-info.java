/**
 * Fault injection for tests and drills: latency, failures, not-ready, abrupt stop. Off by default.
 */
package dev.framecast.node.fault;
