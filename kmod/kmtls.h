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
	u8 policy_default;	/* KMTLS_ACTION_* */
};

void kmtls_config_init(void);
void kmtls_config_get(struct kmtls_config *out);
int kmtls_config_set_handshake_timeout(u32 ms);
int kmtls_config_set_policy_default(u8 action);
u8 kmtls_config_policy_default(void);

/* stats.c: node-wide counters, monotonic since module load. */
struct kmtls_stats {
	atomic64_t handshakes;
	atomic64_t handshakes_failed;
	atomic64_t config_changes;
	atomic64_t refused_no_daemon;
	atomic64_t policy_denied;
	atomic64_t policy_would_deny;
	atomic64_t policy_reset;
	atomic64_t plaintext_admitted;
	atomic_t flows;
};

extern struct kmtls_stats kmtls_stats;


/* identity.c: cgroup -> SPIFFE ID */
struct netlink_ext_ack;
struct sock;
int kmtls_identity_add(const char *path, const char *spiffe_id,
		       struct netlink_ext_ack *extack);
int kmtls_identity_del(const char *path, struct netlink_ext_ack *extack);
bool kmtls_identity_has(const struct sock *sk);
char *kmtls_identity_dup(const struct sock *sk, gfp_t gfp);
bool kmtls_spiffe_id_valid(const char *s, const char **why);
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
	u8 mode;		/* KMTLS_DEST_MODE_* */
	u8 addr[16];		/* network order; IPv4 in the first 4 bytes */
	const char *identity;	/* declared server identity, or NULL */
};

int kmtls_dest_parse(struct nlattr **attrs, struct kmtls_dest *d,
		     struct netlink_ext_ack *extack);
int kmtls_dest_add(const struct kmtls_dest *d, struct netlink_ext_ack *extack);
int kmtls_dest_del(const struct kmtls_dest *d, struct netlink_ext_ack *extack);
#define KMTLS_DEST_LOOKUP_NOMEM	0xff	/* not a mode: see kmtls_dest_lookup() */
u8 kmtls_dest_lookup(int family, const void *addr, u16 port, char **identity,
		     gfp_t gfp);
int kmtls_dest_walk(unsigned long *pos,
		    int (*fill)(void *arg, const struct kmtls_dest *d), void *arg);
void kmtls_dest_exit(void);

/* hooks.c: netfilter, in every network namespace */
int kmtls_hooks_init(void);
void kmtls_hooks_exit(void);

/* gate.c: holding an application's I/O while its handshake runs */
struct socket;
struct proto_ops;
int kmtls_gate_init(void);
void kmtls_gate_exit(void);
void kmtls_gate_hold(struct socket *sock);
void kmtls_gate_unhold(struct socket *sock);
bool kmtls_gate_is_held(const struct socket *sock);
const struct proto_ops *kmtls_gate_pristine_ops(const struct sock *sk);
bool kmtls_gate_wrap_listener(struct sock *lsk);
void kmtls_gate_gc_listeners(void);

/* ktls.c: installing the keys, shielded from the application */
struct kmtls_keys {
	u16 cipher;		/* TLS_CIPHER_* */
	u8 key_len;
	u8 tx_key[32], tx_iv[12];
	u8 rx_key[32], rx_iv[12];
};

int kmtls_ktls_attach(struct sock *sk, struct socket *sock);
int kmtls_ktls_install(struct sock *sk, struct socket *sock,
		       const struct kmtls_keys *keys);
void kmtls_ktls_exit(void);

/* flow.c: one meshed connection */
enum kmtls_flow_phase {
	KMTLS_PHASE_CONNECTING,	/* client: SYN sent, not yet established */
	KMTLS_PHASE_HANDSHAKE,	/* the daemon runs the handshake */
	KMTLS_PHASE_ESTABLISHED,	/* kTLS carries it; kmtls is out of the path */
	KMTLS_PHASE_FAILED,	/* reset; the application's calls fail */
};

struct kmtls_flow;
struct sk_buff;
int kmtls_flow_init(void);
void kmtls_flow_exit(void);
int kmtls_flow_client(struct sock *sk, char *want_peer);
void kmtls_flow_server(struct sock *sk);
int kmtls_flow_gate_state(const struct sock *sk, int *err);
struct kmtls_flow *kmtls_flow_get_by_id(u64 id);
void kmtls_flow_put(struct kmtls_flow *f);
int kmtls_flow_send(struct kmtls_flow *f, const void *data, size_t len);
int kmtls_flow_recv(struct kmtls_flow *f);
int kmtls_flow_done(struct kmtls_flow *f, u32 status, const char *peer_id,
		    const struct kmtls_keys *keys);
void kmtls_flow_daemon_gone(void);
struct kmtls_policy_result;
void kmtls_flow_rejudge(bool keep, struct kmtls_policy_result *res);
int kmtls_flow_walk(unsigned long *pos,
		    int (*fill)(void *arg, const struct kmtls_flow *f), void *arg);
int kmtls_flow_fill(struct sk_buff *skb, const struct kmtls_flow *f);

/* handshake.c: the daemon, its attach and the events sent to it */
int kmtls_handshake_init(void);
void kmtls_handshake_exit(void);
bool kmtls_daemon_attached(void);
u32 kmtls_daemon_gen(void);
int kmtls_daemon_attach(u32 portid, struct netlink_ext_ack *extack);
bool kmtls_daemon_is(u32 portid);
int kmtls_daemon_unicast(struct sk_buff *skb);
struct sk_buff *kmtls_event_new(size_t payload, u8 cmd, void **hdr);

/* policy.c: rule sets, and the decision for one connection */
struct kmtls_policy_result {
	u32 rules;	/* in the new set (commit) */
	u32 reset;	/* established flows the change reset */
	u32 kept;	/* ... or left open (keep) */
};

int kmtls_policy_init(void);
void kmtls_policy_exit(void);
u8 kmtls_policy_decide(const char *src, const char *dst, u16 port,
		       bool count, bool *would_deny);
int kmtls_policy_check(const char *src, const char *dst, u16 port,
		       u32 repeat, bool *would_deny, u64 *elapsed_ns,
		       struct netlink_ext_ack *extack);
int kmtls_policy_add(struct nlattr **a, bool stage, u32 hint, u32 portid,
		     bool keep, struct kmtls_policy_result *res,
		     struct netlink_ext_ack *extack);
int kmtls_policy_del(struct nlattr **a, bool keep,
		     struct kmtls_policy_result *res,
		     struct netlink_ext_ack *extack);
int kmtls_policy_flush(bool keep, struct kmtls_policy_result *res);
int kmtls_policy_commit(u32 portid, bool keep, struct kmtls_policy_result *res);
void kmtls_policy_default_changed(void);
void kmtls_policy_release(u32 portid);
unsigned int kmtls_policy_rules(void);
int kmtls_policy_walk(unsigned long *pos,
		      int (*fill)(void *arg, const char *src, const char *dst,
				  u16 pmin, u16 pmax, u8 action, u64 hits),
		      void *arg);

/* netlink.c */
int kmtls_netlink_init(void);
void kmtls_netlink_exit(void);
extern struct genl_family kmtls_genl_family;

#endif /* _KMTLS_H */
