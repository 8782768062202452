/**
 * The inference nodes: Triton-protocol clients, health from ServerReady/ModelReady, circuit
 * breakers, and least-loaded placement among healthy nodes that host a model.
 */
package dev.framecast.scheduler.node;
