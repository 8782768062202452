/** Framecast's command line: {@code ./framecast demo}, the embedded platform in one process. */
package dev.framecast.cli;
