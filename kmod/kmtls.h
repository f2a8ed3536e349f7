/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmtls: declarations shared between the module's files.
 */
#ifndef _KMTLS_H
#define _KMTLS_H

#include <linux/types.h>
#include <linux/atomic.h>

/* config.c: node-wide settings.  Writers hold kmtls_config_lock; readers
 * use the accessors, which are lock-free (READ_ONCE).
 */
struct kmtls_config {
	u32 handshake_timeout_ms;
};

void kmtls_config_init(void);
void kmtls_config_get(struct kmtls_config *out);
int kmtls_config_set_handshake_timeout(u32 ms);

/* stats.c: node-wide counters, monotonic since module load. */
struct kmtls_stats {
	atomic64_t handshakes;
	atomic64_t handshakes_failed;
	atomic64_t config_changes;
	atomic_t flows;
};

extern struct kmtls_stats kmtls_stats;

/* Whether a handshake daemon is attached (always false until the data
 * path provides the daemon's attach operation).
 */
bool kmtls_daemon_attached(void);

/* netlink.c */
int kmtls_netlink_init(void);
void kmtls_netlink_exit(void);

#endif /* _KMTLS_H */
