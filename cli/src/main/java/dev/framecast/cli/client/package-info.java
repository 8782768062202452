/**
 * The gateway's client side: server address and token resolution, the channel (keepalive, unary
 * deadlines), following a job's event stream with reconnects from the last seq, clip assembly from
 * chunks, the progress display and readable gRPC errors.
 */
package dev.framecast.cli.client;
