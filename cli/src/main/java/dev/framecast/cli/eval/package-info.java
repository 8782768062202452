/**
 * The evaluation of triton-models/training/eval.py on the platform: its 28 prompts and seeds, its
 * scoring rules (colour of the bright pixels, direction of their centroid), the runner that
 * generates through the public API, and the report (table, JSON, contact sheet).
 */
package dev.framecast.cli.eval;
