/**
 * The gateway in embedded mode as a child process of demo and eval: free port, private development
 * issuer, readiness wait, log tail, and a shutdown hook that never leaves it running.
 */
package dev.framecast.cli.embedded;
