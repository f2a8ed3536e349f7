// SPDX-License-Identifier: GPL-2.0
/*
 * Policy: client identity pattern x server identity pattern x server port
 * range -> allow, deny or audit.  Semantics in docs/policy.md:
 *
 *   1. a deny rule matches                      -> deny
 *   2. an allow or audit rule matches           -> allow
 *   3. an allow rule names the server's identity -> deny
 *   4. an audit rule names it                   -> allow, "would deny"
 *   5. otherwise the node default (allow, deny, or audit = allow and
 *      "would deny")
 *
 * A pattern is "*", "spiffe://TD/" + "*", "spiffe://TD/PATH/" + "*" or an
 * exact ID;
 * in its key form a prefix (up to and including a '/') plus "wildcard", or
 * the whole ID.  Rules live in one hash table keyed by the pair (src key,
 * dst key).  A decision enumerates the keys an ID can match (the ID, each
 * '/'-prefix as a wildcard, "*") on both sides and looks each pair up:
 * its cost depends on the IDs' depth, never on the number of rules.  A
 * second table counts, per dst key, the allow and audit rules that name it.
 *
 * Writers serialise on kmtls_policy_lock; decisions run under RCU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/kmtls.h>
#include <net/genetlink.h>

#include "kmtls.h"

#define KMTLS_RULES_MAX		1048576
#define KMTLS_KEYS_MAX		18	/* the ID, 16 prefixes, "*" */

struct kmtls_key {
	const char *p;
	u16 len;
	bool wild;
};

/*
 * Lifetime: added by policy-add, unhashed by policy-del or -flush (under
 * kmtls_policy_lock), freed after an RCU grace period.
 */
struct kmtls_rule {
	struct hlist_node node;
	struct rcu_head rcu;
	u32 hash;
	u16 port_min, port_max;
	u8 action;
	bool src_wild, dst_wild;
	u16 src_len, dst_len;	/* key lengths */
	atomic64_t hits;
	char *src, *dst;	/* the patterns as given */
};

/* How many allow and audit rules name a dst key. */
struct kmtls_named {
	struct hlist_node node;
	struct rcu_head rcu;
	u32 hash;
	u32 allow, audit;
	atomic64_t denied, would_deny;	/* implicit decisions */
	bool wild;
	u16 len;
	char key[];
};

static DEFINE_MUTEX(kmtls_policy_lock);
static DEFINE_HASHTABLE(kmtls_rules, 16);
static DEFINE_HASHTABLE(kmtls_named, 12);
static unsigned int kmtls_rule_count;

/* A pattern's key, or -EINVAL with a reason. */
static int kmtls_pattern_key(const char *s, struct kmtls_key *k,
			     const char **why)
{
	size_t len = strlen(s);
	char *probe;
	bool ok;

	if (!strcmp(s, "*")) {
		*k = (struct kmtls_key){ s, 0, true };
		return 0;
	}
	if (len >= 2 && !strcmp(s + len - 2, "/*")) {
		/* A wildcard "spiffe://td/a/" + "*" is valid iff
		 * "spiffe://td/a/x" is a valid ID.
		 */
		probe = kasprintf(GFP_KERNEL, "%.*sx", (int)(len - 1), s);
		if (!probe)
			return -ENOMEM;
		ok = kmtls_spiffe_id_valid(probe, why);
		kfree(probe);
		if (!ok)
			return -EINVAL;
		*k = (struct kmtls_key){ s, len - 1, true };
		return 0;
	}
	if (!kmtls_spiffe_id_valid(s, why))
		return -EINVAL;
	*k = (struct kmtls_key){ s, len, false };
	return 0;
}

static u32 kmtls_key_hash(const struct kmtls_key *k)
{
	return jhash(k->p, k->len, k->wild ? 0x2a : 0);
}

/* The keys that can match @id, most specific first; returns how many. */
static int kmtls_id_keys(const char *id, struct kmtls_key *keys)
{
	size_t len = strlen(id), i;
	int n = 0;

	keys[n++] = (struct kmtls_key){ id, len, false };
	for (i = len; i > 9 && n < KMTLS_KEYS_MAX - 1; i--)
		if (id[i - 1] == '/')
			keys[n++] = (struct kmtls_key){ id, i, true };
	keys[n++] = (struct kmtls_key){ id, 0, true };
	return n;
}

static bool kmtls_key_eq(const char *p, u16 len, bool wild,
			 const struct kmtls_key *k)
{
	return len == k->len && wild == k->wild && !memcmp(p, k->p, len);
}

static struct kmtls_named *kmtls_named_find(const struct kmtls_key *k, u32 h)
{
	struct kmtls_named *nm;

	hash_for_each_possible_rcu(kmtls_named, nm, node, h)
		if (nm->hash == h && kmtls_key_eq(nm->key, nm->len, nm->wild, k))
			return nm;
	return NULL;
}

/*
 * Decide for client @src, server @dst, server @port.  Any context (RCU).
 * *would_deny is set when audit let the connection through.
 */
u8 kmtls_policy_decide(const char *src, const char *dst, u16 port,
		       bool *would_deny)
{
	struct kmtls_key sk[KMTLS_KEYS_MAX], dk[KMTLS_KEYS_MAX];
	u32 sh[KMTLS_KEYS_MAX], dh[KMTLS_KEYS_MAX];
	struct kmtls_rule *r, *deny = NULL, *allow = NULL;
	struct kmtls_named *named_allow = NULL, *named_audit = NULL;
	int ns, nd, i, j;
	u8 def;

	*would_deny = false;
	ns = kmtls_id_keys(src, sk);
	nd = kmtls_id_keys(dst, dk);
	for (i = 0; i < ns; i++)
		sh[i] = kmtls_key_hash(&sk[i]);
	for (j = 0; j < nd; j++)
		dh[j] = kmtls_key_hash(&dk[j]);

	rcu_read_lock();
	for (i = 0; i < ns && !deny; i++) {
		for (j = 0; j < nd && !deny; j++) {
			u32 h = jhash_2words(sh[i], dh[j], 0);

			hash_for_each_possible_rcu(kmtls_rules, r, node, h) {
				if (r->hash != h || port < r->port_min ||
				    port > r->port_max ||
				    !kmtls_key_eq(r->src, r->src_len, r->src_wild, &sk[i]) ||
				    !kmtls_key_eq(r->dst, r->dst_len, r->dst_wild, &dk[j]))
					continue;
				if (r->action == KMTLS_ACTION_DENY) {
					deny = r;
					break;
				}
				if (!allow)
					allow = r;
			}
		}
	}
	if (deny || allow) {
		r = deny ?: allow;
		atomic64_inc(&r->hits);
		rcu_read_unlock();
		return deny ? KMTLS_ACTION_DENY : KMTLS_ACTION_ALLOW;
	}
	for (j = 0; j < nd; j++) {
		struct kmtls_named *nm = kmtls_named_find(&dk[j], dh[j]);

		if (nm && nm->allow && !named_allow)
			named_allow = nm;
		if (nm && nm->audit && !named_audit)
			named_audit = nm;
	}
	if (named_allow) {
		atomic64_inc(&named_allow->denied);
		rcu_read_unlock();
		return KMTLS_ACTION_DENY;
	}
	if (named_audit) {
		atomic64_inc(&named_audit->would_deny);
		rcu_read_unlock();
		*would_deny = true;
		return KMTLS_ACTION_ALLOW;
	}
	rcu_read_unlock();

	def = kmtls_config_policy_default();
	if (def == KMTLS_ACTION_AUDIT) {
		*would_deny = true;
		return KMTLS_ACTION_ALLOW;
	}
	return def;
}

static void kmtls_rule_free(struct kmtls_rule *r)
{
	kfree(r->src);
	kfree(r->dst);
	kfree(r);
}

static void kmtls_rule_free_rcu(struct rcu_head *head)
{
	kmtls_rule_free(container_of(head, struct kmtls_rule, rcu));
}

/* Count a rule in (or out of) the names of its dst key. */
static int kmtls_named_account(const struct kmtls_rule *r, int delta)
{
	struct kmtls_key k = { r->dst, r->dst_len, r->dst_wild };
	u32 h = kmtls_key_hash(&k);
	struct kmtls_named *nm;

	lockdep_assert_held(&kmtls_policy_lock);
	if (r->action == KMTLS_ACTION_DENY)
		return 0;
	nm = kmtls_named_find(&k, h);
	if (!nm) {
		if (delta < 0)
			return 0;
		nm = kzalloc(struct_size(nm, key, k.len + 1), GFP_KERNEL);
		if (!nm)
			return -ENOMEM;
		nm->hash = h;
		nm->wild = k.wild;
		nm->len = k.len;
		memcpy(nm->key, k.p, k.len);
		hash_add_rcu(kmtls_named, &nm->node, h);
	}
	if (r->action == KMTLS_ACTION_ALLOW)
		nm->allow += delta;
	else
		nm->audit += delta;
	if (!nm->allow && !nm->audit) {
		hash_del_rcu(&nm->node);
		kfree_rcu(nm, rcu);
	}
	return 0;
}

static struct kmtls_rule *kmtls_rule_find(const struct kmtls_rule *want)
{
	struct kmtls_rule *r;

	lockdep_assert_held(&kmtls_policy_lock);
	hash_for_each_possible(kmtls_rules, r, node, want->hash)
		if (r->hash == want->hash && r->action == want->action &&
		    r->port_min == want->port_min &&
		    r->port_max == want->port_max &&
		    !strcmp(r->src, want->src) && !strcmp(r->dst, want->dst))
			return r;
	return NULL;
}

/* Build a rule from netlink attributes (validated by the policy). */
static struct kmtls_rule *kmtls_rule_parse(struct nlattr **a,
					   struct netlink_ext_ack *extack)
{
	struct kmtls_key sk, dk;
	struct kmtls_rule *r;
	const char *why = NULL;
	int err;

	if (!a[KMTLS_A_POLICY_SRC] || !a[KMTLS_A_POLICY_DST] ||
	    !a[KMTLS_A_POLICY_ACTION]) {
		NL_SET_ERR_MSG(extack, "a rule needs src, dst and action");
		return ERR_PTR(-EINVAL);
	}
	err = kmtls_pattern_key(nla_data(a[KMTLS_A_POLICY_SRC]), &sk, &why);
	if (err) {
		/* @why points to a string literal, as extack needs */
		if (extack) {
			extack->_msg = why ?: "bad src pattern";
			extack->bad_attr = a[KMTLS_A_POLICY_SRC];
		}
		return ERR_PTR(err);
	}
	err = kmtls_pattern_key(nla_data(a[KMTLS_A_POLICY_DST]), &dk, &why);
	if (err) {
		/* @why points to a string literal, as extack needs */
		if (extack) {
			extack->_msg = why ?: "bad dst pattern";
			extack->bad_attr = a[KMTLS_A_POLICY_DST];
		}
		return ERR_PTR(err);
	}
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	r->port_min = a[KMTLS_A_POLICY_PORT_MIN] ?
		      nla_get_u16(a[KMTLS_A_POLICY_PORT_MIN]) : 1;
	r->port_max = a[KMTLS_A_POLICY_PORT_MAX] ?
		      nla_get_u16(a[KMTLS_A_POLICY_PORT_MAX]) : 65535;
	if (r->port_min > r->port_max) {
		NL_SET_ERR_MSG(extack, "port range is inverted");
		kfree(r);
		return ERR_PTR(-EINVAL);
	}
	r->action = nla_get_u8(a[KMTLS_A_POLICY_ACTION]);
	r->src = kstrdup(nla_data(a[KMTLS_A_POLICY_SRC]), GFP_KERNEL);
	r->dst = kstrdup(nla_data(a[KMTLS_A_POLICY_DST]), GFP_KERNEL);
	if (!r->src || !r->dst) {
		kmtls_rule_free(r);
		return ERR_PTR(-ENOMEM);
	}
	r->src_len = sk.len;
	r->src_wild = sk.wild;
	r->dst_len = dk.len;
	r->dst_wild = dk.wild;
	sk.p = r->src;
	dk.p = r->dst;
	r->hash = jhash_2words(kmtls_key_hash(&sk), kmtls_key_hash(&dk), 0);
	return r;
}

int kmtls_policy_add(struct nlattr **a, struct netlink_ext_ack *extack)
{
	struct kmtls_rule *r = kmtls_rule_parse(a, extack);
	int ret = 0;

	if (IS_ERR(r))
		return PTR_ERR(r);
	mutex_lock(&kmtls_policy_lock);
	if (kmtls_rule_find(r)) {
		NL_SET_ERR_MSG(extack, "rule already exists");
		ret = -EEXIST;
	} else if (kmtls_rule_count >= KMTLS_RULES_MAX) {
		NL_SET_ERR_MSG(extack, "too many rules");
		ret = -ENOSPC;
	} else {
		ret = kmtls_named_account(r, 1);
	}
	if (!ret) {
		hash_add_rcu(kmtls_rules, &r->node, r->hash);
		kmtls_rule_count++;
		r = NULL;
	}
	mutex_unlock(&kmtls_policy_lock);
	if (r)
		kmtls_rule_free(r);
	return ret;
}

static void kmtls_rule_unhash(struct kmtls_rule *r)
{
	lockdep_assert_held(&kmtls_policy_lock);
	hash_del_rcu(&r->node);
	kmtls_named_account(r, -1);
	kmtls_rule_count--;
	call_rcu(&r->rcu, kmtls_rule_free_rcu);
}

int kmtls_policy_del(struct nlattr **a, struct netlink_ext_ack *extack)
{
	struct kmtls_rule *want = kmtls_rule_parse(a, extack), *r;
	int ret = 0;

	if (IS_ERR(want))
		return PTR_ERR(want);
	mutex_lock(&kmtls_policy_lock);
	r = kmtls_rule_find(want);
	if (r) {
		kmtls_rule_unhash(r);
	} else {
		NL_SET_ERR_MSG(extack, "no such rule");
		ret = -ENOENT;
	}
	mutex_unlock(&kmtls_policy_lock);
	kmtls_rule_free(want);
	return ret;
}

void kmtls_policy_flush(void)
{
	struct kmtls_rule *r;
	struct hlist_node *tmp;
	int bkt;

	mutex_lock(&kmtls_policy_lock);
	hash_for_each_safe(kmtls_rules, bkt, tmp, r, node) {
		kmtls_rule_unhash(r);
		cond_resched();
	}
	mutex_unlock(&kmtls_policy_lock);
}

/* Dump from bucket pos[0], entry pos[1] within it. */
int kmtls_policy_walk(unsigned long *pos,
		      int (*fill)(void *arg, const char *src, const char *dst,
				  u16 pmin, u16 pmax, u8 action, u64 hits),
		      void *arg)
{
	struct kmtls_rule *r;
	unsigned long bkt, idx;
	int ret = 0;

	rcu_read_lock();
	for (bkt = pos[0]; bkt < HASH_SIZE(kmtls_rules); bkt++, pos[1] = 0) {
		idx = 0;
		hlist_for_each_entry_rcu(r, &kmtls_rules[bkt], node) {
			if (idx++ < pos[1])
				continue;
			ret = fill(arg, r->src, r->dst, r->port_min, r->port_max,
				   r->action, atomic64_read(&r->hits));
			if (ret)
				goto out;
			pos[1] = idx;
		}
		pos[0] = bkt + 1;
	}
out:
	rcu_read_unlock();
	return ret;
}

void kmtls_policy_exit(void)
{
	kmtls_policy_flush();
	rcu_barrier();
}
