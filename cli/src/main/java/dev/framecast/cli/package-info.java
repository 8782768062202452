/**
 * Framecast's command line: {@code ./framecast generate} (one job on a gateway), {@code demo} (the
 * same against an embedded gateway it starts) and {@code eval} (the evaluation prompts, scored as
 * eval.py scores them). Options, exit codes and the shared generate path live here; the gRPC client
 * in {@code client}, the child gateway in {@code embedded}, the scorer in {@code eval}.
 */
package dev.framecast.cli;
