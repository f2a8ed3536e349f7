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
	atomic64_t refused_no_daemon;
	atomic_t flows;
};

extern struct kmtls_stats kmtls_stats;

/* Whether a handshake daemon is attached (always false until the data
 * path provides the daemon's attach operation).
 */
bool kmtls_daemon_attached(void);

/* identity.c: cgroup -> SPIFFE ID */
struct netlink_ext_ack;
struct sock;
int kmtls_identity_add(const char *path, const char *spiffe_id,
		       struct netlink_ext_ack *extack);
int kmtls_identity_del(const char *path, struct netlink_ext_ack *extack);
bool kmtls_identity_has(const struct sock *sk);
int kmtls_identity_walk(unsigned long *pos,
			int (*fill)(void *arg, const char *path,
				    const char *spiffe_id, u64 cgid),
			void *arg);
void kmtls_identity_init(void);
void kmtls_identity_exit(void);

/* dest.c: declared destinations */
struct nlattr;
struct kmtls_dest {
	u8 family;		/* AF_INET or AF_INET6 */
	u8 prefix_len;
	u16 port_min, port_max;
	u8 addr[16];		/* network order; IPv4 in the first 4 bytes */
};

int kmtls_dest_parse(struct nlattr **attrs, struct kmtls_dest *d,
		     struct netlink_ext_ack *extack);
int kmtls_dest_add(const struct kmtls_dest *d, struct netlink_ext_ack *extack);
int kmtls_dest_del(const struct kmtls_dest *d, struct netlink_ext_ack *extack);
bool kmtls_dest_match(int family, const void *addr, u16 port);
int kmtls_dest_walk(unsigned long *pos,
		    int (*fill)(void *arg, const struct kmtls_dest *d), void *arg);
void kmtls_dest_exit(void);

/* hooks.c: netfilter, in every network namespace */
int kmtls_hooks_init(void);
void kmtls_hooks_exit(void);

/* netlink.c */
int kmtls_netlink_init(void);
void kmtls_netlink_exit(void);

#endif /* _KMTLS_H */
