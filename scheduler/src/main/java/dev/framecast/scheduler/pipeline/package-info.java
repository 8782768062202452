/**
 * Pipelines: which text encoder, DiT and VAE make one, and everything about them read from the
 * nodes' model configs (shapes, defaults, limits); the tokenizer, the timestep schedule and the
 * seeded noise generator.
 */
package dev.framecast.scheduler.pipeline;
