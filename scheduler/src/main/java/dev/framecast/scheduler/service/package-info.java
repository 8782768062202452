/**
 * The scheduler as a service: request validation and defaults, ownership, the flow-controlled event
 * streams, and the {@code framecast.scheduler.v1} gRPC API over it.
 */
package dev.framecast.scheduler.service;
