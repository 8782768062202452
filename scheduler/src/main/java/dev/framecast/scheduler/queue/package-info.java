/** The order in which ready jobs enter active sets: weighted fair share across tenants. */
package dev.framecast.scheduler.queue;
