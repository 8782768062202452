/** Where finished clips are kept: on disk, per tenant, with retention. */
package dev.framecast.scheduler.store;
